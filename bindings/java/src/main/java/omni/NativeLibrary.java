package omni;

/**
 * Loads libomni_jni once: from the absolute path in the system property {@code
 * omni.library.path} when set, else {@code System.loadLibrary("omni_jni")} (found on {@code
 * java.library.path}). Its version is checked against the classes'.
 */
final class NativeLibrary {
  /** The libomni_jni version these classes are written for. */
  static final String EXPECTED_VERSION = "0.1.0";

  static {
    String path = System.getProperty("omni.library.path");
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("omni_jni");
    }
    String found = Omni.libraryVersion();
    if (!EXPECTED_VERSION.equals(found)) {
      throw new UnsatisfiedLinkError(
          "libomni_jni " + found + " loaded, these classes are written for " + EXPECTED_VERSION);
    }
  }

  private NativeLibrary() {}

  /** Runs the static initializer (loads the library) if it has not run yet. */
  static void load() {}
}
