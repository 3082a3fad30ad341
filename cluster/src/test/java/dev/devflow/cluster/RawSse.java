package dev.devflow.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An SSE client on a plain socket: HTTP/1.1 with {@code Connection: close}, its own chunked
 * decoding, and control over when (and whether) the stream is read. Reading nothing lets the
 * server's writes back up into the TCP buffers, as with a slow client; {@code receiveBuffer}
 * keeps those buffers small.
 */
final class RawSse implements AutoCloseable {

  /** One SSE block: a message ({@code id}/{@code event}/{@code data}), a comment or a retry hint. */
  record Message(String id, String event, String data, String comment, String retry) {
    boolean isEvent() {
      return event != null || data != null;
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private final List<Message> messages = new ArrayList<>();
  private int parsed;
  private int status;
  private final Map<String, String> headers = new HashMap<>();
  private boolean chunked;
  private boolean ended;

  /**
   * Connects and sends {@code GET path}; {@code receiveBuffer} &gt; 0 sets SO_RCVBUF before connecting.
   * Reads nothing yet.
   */
  RawSse(int port, String path, String token, Map<String, String> extraHeaders, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.setSoTimeout(30_000);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nAccept: text/event-stream\r\n");
    if (!extraHeaders.containsKey("Connection")) {
      req.append("Connection: close\r\n");
    }
    if (token != null) {
      req.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    extraHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    in = socket.getInputStream();
  }

  int receiveBufferSize() throws IOException {
    return socket.getReceiveBufferSize();
  }

  /** Reads the status line and headers. */
  int readHead() throws IOException {
    String statusLine = line();
    status = Integer.parseInt(statusLine.split(" ")[1]);
    String h;
    while (!(h = line()).isEmpty()) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    chunked = "chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""));
    return status;
  }

  int status() {
    return status;
  }

  String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** Reads until at least {@code n} blocks (of any kind) are parsed; returns all so far. */
  List<Message> readBlocks(int n) throws IOException {
    while (messages.size() < n && !ended) {
      readSome();
    }
    return List.copyOf(messages);
  }

  /** Reads until {@code n} event messages were parsed (comments and retry hints not counted). */
  List<Message> readEvents(int n) throws IOException {
    while (events().size() < n && !ended) {
      readSome();
    }
    return events();
  }

  /** Reads until the response ends (the last chunk), then checks the server closed the connection. */
  List<Message> readToEnd() throws IOException {
    while (!ended) {
      readSome();
    }
    return List.copyOf(messages);
  }

  /** After {@link #readToEnd}: true when the server closed the connection (EOF), false on time-out. */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  boolean ended() {
    return ended;
  }

  List<Message> events() {
    return messages.stream().filter(Message::isEvent).toList();
  }

  List<Message> blocks() {
    return List.copyOf(messages);
  }

  /** The body bytes decoded so far, as text (for failure messages). */
  String text() {
    return body.toString(StandardCharsets.UTF_8);
  }

  private void readSome() throws IOException {
    if (chunked) {
      String sizeLine = line();
      int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
      if (size == 0) {
        while (!line().isEmpty()) {
          // trailers
        }
        ended = true;
      } else {
        body.write(in.readNBytes(size));
        String crlf = line();
        if (!crlf.isEmpty()) {
          throw new IOException("bad chunk end: " + crlf);
        }
      }
    } else {
      byte[] buf = new byte[4096];
      int r = in.read(buf);
      if (r < 0) {
        ended = true;
      } else {
        body.write(buf, 0, r);
      }
    }
    parse();
  }

  private void parse() {
    byte[] all = body.toByteArray();
    int start = parsed;
    for (int i = parsed; i + 1 < all.length; i++) {
      if (all[i] == '\n' && all[i + 1] == '\n') {
        messages.add(block(new String(all, start, i - start, StandardCharsets.UTF_8)));
        start = i + 2;
        i++;
      }
    }
    parsed = start;
  }

  private static Message block(String text) {
    String id = null;
    String event = null;
    String data = null;
    String comment = null;
    String retry = null;
    for (String l : text.split("\n", -1)) {
      if (l.startsWith(":")) {
        comment = comment == null ? l.substring(1) : comment + "\n" + l.substring(1);
        continue;
      }
      int colon = l.indexOf(':');
      String field = colon < 0 ? l : l.substring(0, colon);
      String value = colon < 0 ? "" : l.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "id" -> id = value;
        case "event" -> event = value;
        case "data" -> data = data == null ? value : data + "\n" + value;
        case "retry" -> retry = value;
        default -> throw new AssertionError("unknown SSE field in block: " + text);
      }
    }
    return new Message(id, event, data, comment, retry);
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed in the middle of a line: " + b.toString(StandardCharsets.US_ASCII));
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
