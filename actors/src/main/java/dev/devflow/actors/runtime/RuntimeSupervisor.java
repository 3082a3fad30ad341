package dev.devflow.actors.runtime;

import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.feed.FeedDraft;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Runs app instances as OS processes on a node with the {@code runtime} role. One per node,
 * registered with the Receptionist under {@link #KEY}; whoever places instances (the App entity)
 * finds the runtime nodes there and sends {@link StartInstance} / {@link StopInstance}.
 *
 * <p>Each instance is a child actor ({@code InstanceActor}) that unpacks the release's artifact
 * into {@code <workDir>/<instanceId>}, runs the command with {@code PORT} set, checks its health,
 * restarts it with back-off after a crash, gives up on a crash loop, and reports to the
 * {@code reportTo} of its start ({@link InstanceEvent}). Its output goes to the {@link JobLogStore}
 * under {@link #logId}, and once a second to the tenant's feed as {@code instance.output}. A failed instance stays listed (status {@code failed}) until it is stopped.
 *
 * <p>Starting an instance id that is already known does not start it twice: the new
 * {@code reportTo} takes over and hears the instance's current state if it is healthy or failed.
 * Stopping an unknown id is ignored (there is nobody to tell).
 *
 * <p>When the supervisor stops (node shutdown), every instance's process group gets SIGTERM and, 2 s
 * later, SIGKILL; should the JVM die first, each group's watcher kills it.
 *
 * <p>Threading: the actors only keep state and send messages; unpacking, starting processes,
 * {@code kill}, JDBC and /proc reads run on the blocking dispatcher, health checks on the HTTP
 * client's own threads, and results come back through {@code pipeToSelf}.
 */
public final class RuntimeSupervisor {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "devflow-runtime");

  /** After being healthy this long, an instance's restart back-off starts again from restartMin. */
  public static final Duration STABLE_AFTER = Duration.ofSeconds(60);

  /** A valid instance id: it names a directory and a log. */
  public static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

  public sealed interface Command extends CrossNodeMessage {}

  public record StartInstance(InstanceSpec spec, ActorRef<InstanceEvent> reportTo) implements Command {}

  /** SIGTERM to the instance's group, SIGKILL after {@code drain}; then its dir is deleted and Stopped reported. */
  public record StopInstance(String instanceId, Duration drain) implements Command {}

  public record ListInstances(ActorRef<InstanceList> replyTo) implements Command {}

  /**
   * Reports of a running instance go to {@code reportTo} from now on, starting with its current
   * state: an app that restarted elsewhere takes its instances back. Unknown ids are ignored.
   */
  public record Adopt(String instanceId, ActorRef<InstanceEvent> reportTo) implements Command {}

  public record InstanceList(List<InstanceView> instances) implements CrossNodeMessage {
    public InstanceList {
      instances = List.copyOf(instances);
    }
  }

  /**
   * @param status starting, healthy, crashed (waiting to be restarted), failed, stopping
   * @param pid 0 while no process runs
   * @param port 0 before the first start
   */
  public record InstanceView(String instanceId, String tenant, String app, long release, String processType,
      String status, long pid, int port, int restarts) implements CrossNodeMessage {}

  /** An instance's state changed (from its actor; local only, never crosses nodes). */
  record StatusChanged(InstanceView view, ActorRef<InstanceActor.Msg> child) implements Command {}

  /** An instance's actor stopped (local only). */
  record ChildGone(String instanceId, ActorRef<InstanceActor.Msg> child) implements Command {}

  private record Instance(ActorRef<InstanceActor.Msg> child, InstanceView view) {}

  private final ActorContext<Command> ctx;
  private final RuntimeSettings settings;
  private final BlobStore blobs;
  private final JobLogStore logs;
  private final Consumer<FeedDraft> output;
  private final Executor blocking;
  private final HttpClient http;
  private final Map<String, Instance> instances = new HashMap<>();
  private long spawned;

  private RuntimeSupervisor(ActorContext<Command> ctx, RuntimeSettings settings, BlobStore blobs, JobLogStore logs,
      Consumer<FeedDraft> output) {
    this.ctx = ctx;
    this.settings = settings;
    this.blobs = blobs;
    this.logs = logs;
    this.output = output;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500))
        .followRedirects(HttpClient.Redirect.NEVER).executor(blocking).build();
  }

  /**
   * The supervisor of this node; registers itself with the Receptionist under {@link #KEY}.
   * {@code output} gets the {@code instance.output} feed entries of its instances (it must not block).
   */
  public static Behavior<Command> create(RuntimeSettings settings, BlobStore blobs, JobLogStore logs,
      Consumer<FeedDraft> output) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      return new RuntimeSupervisor(ctx, settings, blobs, logs, output).behavior();
    });
  }

  /** The log id of an instance's output in {@link JobLogStore} (attempt 1, chunks numbered from 1). */
  public static String logId(String tenant, String app, String instanceId) {
    // A CI job's log id is tenant/repo/<pipeline number>/job: "runtime" is never a pipeline number.
    return tenant + "/" + app + "/runtime/" + instanceId;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(StartInstance.class, this::onStart)
        .onMessage(StopInstance.class, this::onStop)
        .onMessage(ListInstances.class, this::onList)
        .onMessage(Adopt.class, a -> {
          Instance instance = instances.get(a.instanceId());
          if (instance != null) {
            instance.child().tell(new InstanceActor.Rebind(a.reportTo()));
          }
          return Behaviors.same();
        })
        .onMessage(StatusChanged.class, this::onStatusChanged)
        .onMessage(ChildGone.class, this::onChildGone)
        .build();
  }

  private Behavior<Command> onStart(StartInstance start) {
    InstanceSpec spec = start.spec();
    if (spec.instanceId() == null || !INSTANCE_ID.matcher(spec.instanceId()).matches()
        || spec.instanceId().equals("..")) {
      start.reportTo().tell(new InstanceEvent.Failed(String.valueOf(spec.instanceId()),
          "invalid instance id: use letters, digits, '.', '_' and '-' (at most 128)"));
      return Behaviors.same();
    }
    Instance existing = instances.get(spec.instanceId());
    if (existing != null) {
      existing.child().tell(new InstanceActor.Rebind(start.reportTo()));
      return Behaviors.same();
    }
    ActorRef<InstanceActor.Msg> child = ctx.spawn(
        InstanceActor.create(spec, start.reportTo(), ctx.getSelf(), settings, blobs, logs, output, blocking, http),
        "instance-" + spec.instanceId() + "-" + (++spawned));
    ctx.watchWith(child, new ChildGone(spec.instanceId(), child));
    instances.put(spec.instanceId(), new Instance(child, new InstanceView(spec.instanceId(), spec.tenant(),
        spec.app(), spec.release(), spec.processType(), "starting", 0, 0, 0)));
    return Behaviors.same();
  }

  private Behavior<Command> onStop(StopInstance stop) {
    Instance instance = instances.get(stop.instanceId());
    if (instance == null) {
      ctx.getLog().info("StopInstance for unknown instance {} ignored", stop.instanceId());
    } else {
      instance.child().tell(new InstanceActor.Stop(stop.drain() == null ? Duration.ZERO : stop.drain()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onList(ListInstances list) {
    list.replyTo().tell(new InstanceList(instances.values().stream().map(Instance::view)
        .sorted(Comparator.comparing(InstanceView::instanceId)).toList()));
    return Behaviors.same();
  }

  private Behavior<Command> onStatusChanged(StatusChanged changed) {
    Instance instance = instances.get(changed.view().instanceId());
    if (instance != null && instance.child().equals(changed.child())) {
      instances.put(changed.view().instanceId(), new Instance(instance.child(), changed.view()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onChildGone(ChildGone gone) {
    Instance instance = instances.get(gone.instanceId());
    if (instance != null && instance.child().equals(gone.child())) {
      instances.remove(gone.instanceId());
    }
    return Behaviors.same();
  }
}
