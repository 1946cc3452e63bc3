package omni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Loads libomni_jni once, from the first of:
 *
 * <ol>
 *   <li>the directory named by the system property {@code omni.library.path}, when set
 *       ({@code System.mapLibraryName("omni_jni")} in it, e.g. {@code libomni_jni.so});
 *   <li>the jar: the copy for this platform under {@code omni/native/<os>-<arch>/} (the release
 *       jar carries {@code linux-x86_64}), extracted to a temporary file that only this user can
 *       read and write, loaded, and deleted (at once where the platform allows, else on exit);
 *   <li>{@code System.loadLibrary("omni_jni")} ({@code java.library.path}).
 * </ol>
 *
 * <p>Its version is checked against the classes'.
 */
final class NativeLibrary {
  /** The libomni_jni version these classes are written for. */
  static final String EXPECTED_VERSION = "0.1.0";

  static {
    String dir = System.getProperty("omni.library.path");
    String file = System.mapLibraryName("omni_jni");
    if (dir != null && !dir.isEmpty()) {
      System.load(Path.of(dir, file).toAbsolutePath().toString());
    } else {
      String resource = "/omni/native/" + platform() + "/" + file;
      try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
        if (in != null) {
          loadExtracted(in, file);
        } else {
          loadFromLibraryPath(resource);
        }
      } catch (IOException e) {
        UnsatisfiedLinkError error =
            new UnsatisfiedLinkError("cannot extract " + resource + " from the jar: " + e);
        error.initCause(e);
        throw error;
      }
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

  /** The jar's directory name for this JVM's platform, e.g. {@code linux-x86_64}. */
  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      os = "linux";
    }
    if (arch.equals("amd64")) {
      arch = "x86_64";
    }
    return os + "-" + arch;
  }

  /** System.loadLibrary, its failure saying what else would have worked. */
  private static void loadFromLibraryPath(String resource) {
    try {
      System.loadLibrary("omni_jni");
    } catch (UnsatisfiedLinkError e) {
      UnsatisfiedLinkError error = new UnsatisfiedLinkError("libomni_jni not found: the jar has no "
          + resource + " for this platform, java.library.path has none, and the system property"
          + " omni.library.path (a directory holding it) is not set");
      error.initCause(e);
      throw error;
    }
  }

  /**
   * Copies the library to a new temporary file (created owner-only: no other user can replace
   * it between the copy and the load) and loads it. Once loaded its file is no longer needed.
   */
  private static void loadExtracted(InputStream in, String file) throws IOException {
    Path tmp;
    try {
      tmp = Files.createTempFile("omni_jni-", "-" + file,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      tmp = Files.createTempFile("omni_jni-", "-" + file); // owner-only by default elsewhere
    }
    try {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      System.load(tmp.toString());
    } finally {
      try {
        Files.delete(tmp); // a loaded library stays mapped on Linux and macOS
      } catch (IOException stillOpen) {
        tmp.toFile().deleteOnExit(); // Windows: a loaded library's file cannot be deleted
      }
    }
  }
}
