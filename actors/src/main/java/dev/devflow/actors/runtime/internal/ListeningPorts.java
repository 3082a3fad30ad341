package dev.devflow.actors.runtime.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The TCP ports a process group listens on, read from {@code /proc}: the socket inodes among the
 * open files of the group's processes, matched against the LISTEN entries of
 * {@code /proc/net/tcp} and {@code tcp6}. Used to tell an app that listens on the wrong port what
 * it did. Linux only; anything unreadable (a process that just exited) is skipped.
 *
 * <p>Stateless; blocks on reading /proc.
 */
public final class ListeningPorts {

  private static final Path PROC = Path.of("/proc");
  private static final String LISTEN = "0A";

  private ListeningPorts() {}

  /** The ports, ascending; empty when none (or not on Linux). */
  public static Set<Integer> ofGroup(long pgid) {
    Set<String> inodes = new HashSet<>();
    for (long pid : groupMembers(pgid)) {
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
        for (Path fd : fds) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              inodes.add(target.substring(8, target.length() - 1));
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      } catch (IOException e) {
        // exited meanwhile, or not ours to read
      }
    }
    Set<Integer> ports = new TreeSet<>();
    if (inodes.isEmpty()) {
      return ports;
    }
    for (String table : List.of("net/tcp", "net/tcp6")) {
      try {
        for (String line : Files.readAllLines(PROC.resolve(table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && LISTEN.equals(f[3]) && inodes.contains(f[9])) {
            String local = f[1];
            ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
          }
        }
      } catch (IOException | RuntimeException e) {
        // no such table (no IPv6) or an unexpected format: report what the other one has
      }
    }
    return ports;
  }

  /** Pids whose process group is {@code pgid} (field 5 of /proc/PID/stat). */
  static Set<Long> groupMembers(long pgid) {
    Set<Long> members = new HashSet<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path p : procs) {
        try {
          String stat = Files.readString(p.resolve("stat"));
          // "pid (comm) state ppid pgrp ...": comm may contain spaces and ')', so split after the last ')'
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(f[2]) == pgid) {
            members.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | RuntimeException e) {
          // exited meanwhile
        }
      }
    } catch (IOException e) {
      // no /proc
    }
    return members;
  }

  /** True while any process of the group exists (zombies included). */
  public static boolean groupExists(long pgid) {
    return !groupMembers(pgid).isEmpty();
  }
}
