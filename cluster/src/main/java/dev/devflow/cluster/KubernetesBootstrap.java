package dev.devflow.cluster;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the cluster through Pekko Management Cluster Bootstrap with Kubernetes API discovery
 * ({@code devflow.cluster.bootstrap = kubernetes-api}; settings under {@code pekko.management} and
 * {@code pekko.discovery.kubernetes-api} in cluster.conf).
 *
 * <p>How one cluster forms, never two: every node lists the pods of the selector and asks each, on
 * its management port, for the seed nodes of the cluster it is in. The first answer that names a
 * cluster is joined. Only when at least {@code bootstrap-expect} pods answered, none of them is in
 * a cluster, and the list stayed the same for the stable margin does the pod with the lowest
 * address found one; the others then find it through the same question. A pod restarted or added
 * later therefore joins the running cluster. Runners use the same selector (the node pods) and,
 * not being among them, only ever join.
 */
final class KubernetesBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBootstrap.class);

  private KubernetesBootstrap() {}

  /**
   * Starts the management endpoint and the bootstrap; stops the node if it is not a member that is
   * up within {@code timeout}.
   */
  static void join(ActorSystem<?> system, Duration timeout) {
    PekkoManagement.get(system.classicSystem()).start()
        .whenComplete((uri, e) -> {
          if (e != null) {
            LOG.error("cannot start the management endpoint for cluster bootstrap: {}; stopping", e.getMessage());
            system.terminate();
          } else {
            LOG.info("cluster bootstrap through the Kubernetes API; management endpoint at {}", uri);
          }
        });
    ClusterBootstrap.get(system.classicSystem()).start();
    system.scheduler().scheduleOnce(timeout, () -> {
      MemberStatus status = Cluster.get(system).selfMember().status();
      if (status != MemberStatus.up() && status != MemberStatus.weaklyUp()) {
        LOG.error("no cluster formed or joined through cluster bootstrap within {} s (this node is {}); stopping",
            timeout.toSeconds(), status);
        system.terminate();
      }
    }, system.executionContext());
  }
}
