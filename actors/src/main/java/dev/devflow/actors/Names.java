package dev.devflow.actors;

import java.util.regex.Pattern;

/**
 * The one pattern every user-chosen name matches (tenant, repo, app, flag, agent, secret): API.md.
 * Names are used in paths on disk and in URLs, so nothing else is ever accepted.
 */
public final class Names {

  public static final Pattern PATTERN = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && PATTERN.matcher(name).matches();
  }
}
