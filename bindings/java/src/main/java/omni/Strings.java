package omni;

/**
 * How strings cross to libomni_jni: the strings of one call joined into one Java string, with
 * each one's length (-1 for null), so one JNI copy reads them all (a JNI call into the JVM costs
 * more than the copy). The native side splits them by the lengths and converts each from UTF-16
 * itself, refusing a lone surrogate.
 */
final class Strings {
  private Strings() {}

  static String nonNull(String s) {
    return s == null ? "" : s;
  }

  static int length(String s) {
    return s == null ? -1 : s.length();
  }

  static String join(String a, String b, String c, String d, String e) {
    return nonNull(a) + nonNull(b) + nonNull(c) + nonNull(d) + nonNull(e);
  }

  static int length(byte[] body) {
    return body == null ? 0 : body.length;
  }
}
