package parley;

import java.io.IOException;
import java.io.InputStream;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * Starts one Elasticsearch node on loopback for Parley's tests and runs until its standard input
 * closes (the test process that started it ended) or it gets SIGTERM.
 *
 * Arguments: data folder, HTTP port, transport port. Prints "PARLEY-ES-READY <httpPort>" once the
 * cluster is yellow or green.
 */
public final class ElasticsearchNode {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ElasticsearchNode DATA_DIR HTTP_PORT TRANSPORT_PORT");
      System.exit(2);
    }
    final String basePath = args[0];
    final String httpPort = args[1];
    final String transportPort = args[2];
    final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
    // The runner probes ports from baseHttpPort + 1 up to this bound (9299 by default).
    runner.setMaxHttpPort(65535);
    runner.onBuild((index, settings) -> {
      settings.put("http.port", httpPort);
      settings.put("transport.port", transportPort);
      settings.put("network.host", "127.0.0.1");
      settings.put("discovery.type", "single-node");
      settings.put("node.name", "parley-test");
      settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
      settings.put("action.auto_create_index", "true");
    }).build(ElasticsearchClusterRunner.newConfigs()
        .basePath(basePath)
        .numOfNode(1)
        .baseHttpPort(Integer.parseInt(httpPort) - 1)
        .clusterName("parley-test")
        .disableESLogger());
    runner.ensureYellow();
    System.out.println("PARLEY-ES-READY " + httpPort);
    System.out.flush();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(runner)));
    final InputStream in = System.in;
    try {
      while (in.read() != -1) {
        // the parent keeps stdin open while it wants the node
      }
    } catch (IOException ignored) {
      // parent gone
    }
    closeQuietly(runner);
    System.exit(0);
  }

  private static void closeQuietly(ElasticsearchClusterRunner runner) {
    try {
      if (!runner.isClosed()) runner.close();
    } catch (Exception ignored) {
      // shutting down anyway
    }
  }
}
