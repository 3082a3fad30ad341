package dev.devflow.persistence;

/**
 * Where the PostgreSQL database is and how to log in to it.
 *
 * @param url      JDBC URL, e.g. {@code jdbc:postgresql://db:5432/devflow}
 * @param user     database user
 * @param password database password (never logged; see {@link #maskedUrl()})
 */
public record DatabaseSettings(String url, String user, String password) {

  /** The URL with any password in it replaced, for messages and logs. */
  public String maskedUrl() {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("//([^:/@]+):[^@/]*@", "//$1:***@");
  }
}
