package dev.devflow.bench.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Stands in for the Kubernetes API server, which cannot run here: the one call Pekko's
 * kubernetes-api discovery makes ({@code GET /api/v1/namespaces/<ns>/pods?labelSelector=...}),
 * over HTTPS with a certificate made by {@code keytool}, for a bearer token. It answers with the pods
 * it was given, each a pod IP and a container port named {@code management}; any other path,
 * namespace, selector or token gets 403 or 404, as a real API server would refuse it.
 *
 * <p>The files a pod finds under {@code /var/run/secrets/kubernetes.io/serviceaccount} (CA
 * certificate, token, namespace) are written to a directory; {@link #javaOptions()} points Pekko
 * at them.
 */
final class FakeKubernetesApi implements AutoCloseable {

  private static final String TOKEN = "test-service-account-token";

  private final String namespace;
  private final String selector;
  private final Path secrets;
  private final HttpsServer server;
  private final Map<String, Integer> pods = new ConcurrentHashMap<>();
  private final List<String> refused = new CopyOnWriteArrayList<>();
  private volatile int listed;

  private FakeKubernetesApi(String namespace, String selector, Path secrets, HttpsServer server) {
    this.namespace = namespace;
    this.selector = selector;
    this.secrets = secrets;
    this.server = server;
  }

  /** Starts on 127.0.0.1 at a free port, serving the pods of {@code namespace} labelled {@code selector}. */
  static FakeKubernetesApi start(Path dir, String namespace, String selector) throws Exception {
    Path secrets = Files.createDirectories(dir.resolve("serviceaccount"));
    Path keystore = secrets.resolve("api.p12");
    keytool("-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-alias", "api", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=kubernetes", "-ext", "SAN=ip:127.0.0.1",
        "-validity", "2");
    keytool("-exportcert", "-rfc", "-keystore", keystore.toString(), "-storepass", "changeit", "-alias", "api",
        "-file", secrets.resolve("ca.crt").toString());
    Files.writeString(secrets.resolve("token"), TOKEN);
    Files.writeString(secrets.resolve("namespace"), namespace);

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    FakeKubernetesApi api = new FakeKubernetesApi(namespace, selector, secrets, server);
    server.createContext("/", api::handle);
    server.start();
    return api;
  }

  /** A running pod at 127.0.0.1 whose management port is {@code managementPort}. */
  void addPod(String name, int managementPort) {
    pods.put(name, managementPort);
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Pod lists answered so far. */
  int listed() {
    return listed;
  }

  /** Requests refused so far, each with why. */
  List<String> refused() {
    return List.copyOf(refused);
  }

  /** JVM options that make Pekko read this fake's CA certificate, token and namespace. */
  String javaOptions() {
    String p = "-Dpekko.discovery.kubernetes-api.";
    return p + "api-ca-path=" + secrets.resolve("ca.crt") + " " + p + "api-token-path=" + secrets.resolve("token") + " "
        + p + "pod-namespace-path=" + secrets.resolve("namespace");
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
    String labelSelector = null;
    for (String pair : query.split("&")) {
      if (pair.startsWith("labelSelector=")) {
        labelSelector = URLDecoder.decode(pair.substring("labelSelector=".length()), StandardCharsets.UTF_8);
      }
    }
    if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      answer(ex, 403, "{\"kind\":\"Status\",\"message\":\"forbidden: no valid token\"}", "token");
    } else if (!path.equals("/api/v1/namespaces/" + namespace + "/pods")) {
      answer(ex, 404, "{\"kind\":\"Status\",\"message\":\"not found\"}", "path " + path);
    } else if (!selector.equals(labelSelector)) {
      answer(ex, 403, "{\"kind\":\"Status\",\"message\":\"forbidden: this test lists " + selector + " only\"}",
          "selector " + labelSelector);
    } else {
      listed++;
      answer(ex, 200, podList(), null);
    }
  }

  private String podList() {
    List<String> items = new ArrayList<>();
    pods.forEach((name, port) -> items.add("""
        {"metadata":{"name":"%s"},\
        "spec":{"containers":[{"name":"devflow","ports":[{"name":"management","containerPort":%d}]}]},\
        "status":{"podIP":"127.0.0.1","phase":"Running"}}""".formatted(name, port)));
    return "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[" + items.stream().collect(Collectors.joining(","))
        + "]}";
  }

  private void answer(HttpExchange ex, int status, String json, String refusal) throws IOException {
    if (refusal != null) {
      refused.add(status + " " + refusal);
    }
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
    ex.close();
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
