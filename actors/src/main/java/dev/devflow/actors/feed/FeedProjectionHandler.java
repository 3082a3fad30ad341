package dev.devflow.actors.feed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.deploy.App;
import dev.devflow.actors.deploy.InstanceInfo;
import dev.devflow.actors.deploy.Release;
import dev.devflow.actors.flag.FeatureFlag;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.flag.FlagDefinition;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.tenant.Tenant;
import dev.devflow.persistence.feed.FeedDraft;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns journal events into feed drafts (type and JSON data). Every entry's data carries
 * {@code tenant} and {@code at}; the rest is per type (API.md "Event feed"). Events that clients
 * do not see (tokens, plans) produce nothing.
 *
 * <p>Stateless and thread-safe.
 */
final class FeedProjectionHandler {

  /** The entity types whose events can become entries: the journal reader skips the others. */
  static final List<String> ENTITY_TYPES =
      List.of(Repo.ENTITY_KEY.name(), Tenant.ENTITY_KEY.name(), FeatureFlag.ENTITY_KEY.name(),
          Pipeline.ENTITY_KEY.name(), App.ENTITY_KEY.name());

  /** A deleted ref's new id, and a created ref's old id, as git itself writes them. */
  static final String ZERO_ID = "0".repeat(40);

  private static final ObjectMapper JSON = new ObjectMapper();

  private FeedProjectionHandler() {}

  static List<FeedDraft> drafts(long ordering, String persistenceId, Object event) {
    String entityType = persistenceId.substring(0, persistenceId.indexOf('|'));
    String entityId = persistenceId.substring(entityType.length() + 1);
    if (entityType.equals(Repo.ENTITY_KEY.name())) {
      return repo(ordering, entityId, event);
    }
    if (entityType.equals(Tenant.ENTITY_KEY.name())) {
      return tenant(ordering, entityId, event);
    }
    if (entityType.equals(FeatureFlag.ENTITY_KEY.name())) {
      return flag(ordering, entityId, event);
    }
    if (entityType.equals(Pipeline.ENTITY_KEY.name())) {
      return pipeline(ordering, entityId, event);
    }
    if (entityType.equals(App.ENTITY_KEY.name())) {
      return app(ordering, entityId, event);
    }
    return List.of();
  }

  /** {@code release.created}, {@code release.live}, {@code release.failed}, {@code instance.started}, {@code instance.failed}. */
  private static List<FeedDraft> app(long ordering, String entityId, Object event) {
    int slash = entityId.indexOf('/');
    String tenant = entityId.substring(0, slash);
    String app = entityId.substring(slash + 1);
    if (event instanceof App.ReleaseCreated e) {
      Release r = e.release();
      ObjectNode data = base(tenant, r.createdAt()).put("app", app).put("release", r.number())
          .put("commit", r.commit()).put("status", r.status());
      if (r.rollbackOf() != 0) {
        data.put("rollbackOf", r.rollbackOf());
      }
      return List.of(draft(ordering, 0, tenant, "release.created", data, r.createdAt()));
    }
    if (event instanceof App.ReleaseLive e) {
      ObjectNode data = base(tenant, e.at()).put("app", app).put("release", e.release())
          .put("previous", e.previous()).put("rollback", e.rollback());
      return List.of(draft(ordering, 0, tenant, "release.live", data, e.at()));
    }
    if (event instanceof App.ReleaseFailed e) {
      ObjectNode data = base(tenant, e.at()).put("app", app).put("release", e.release()).put("reason", e.reason());
      return List.of(draft(ordering, 0, tenant, "release.failed", data, e.at()));
    }
    if (event instanceof App.InstanceStarted e) {
      return List.of(draft(ordering, 0, tenant, "instance.started", instance(tenant, app, e.instance(), e.at()), e.at()));
    }
    if (event instanceof App.InstanceFailed e) {
      return List.of(draft(ordering, 0, tenant, "instance.failed", instance(tenant, app, e.instance(), e.at())
          .put("reason", e.instance().reason()), e.at()));
    }
    return List.of();
  }

  private static ObjectNode instance(String tenant, String app, InstanceInfo i, Instant at) {
    return base(tenant, at).put("app", app).put("release", i.release()).put("instance", i.id())
        .put("process", i.processType()).put("node", i.node()).put("port", i.port()).put("status", i.status())
        .put("restarts", i.restarts());
  }

  /** {@code pipeline.created}, {@code job.started}, {@code job.finished}, {@code pipeline.finished}. */
  private static List<FeedDraft> pipeline(long ordering, String entityId, Object event) {
    String[] id = entityId.split("/");
    String tenant = id[0];
    Instant at;
    String type;
    ObjectNode data;
    if (event instanceof Pipeline.PipelineCreated e) {
      at = e.info().createdAt();
      type = "pipeline.created";
      data = pipelineData(tenant, id, at).put("status", e.info().error() == null ? "queued" : "failed")
          .put("workflow", e.info().workflowName()).put("file", e.info().file())
          .put("ref", e.info().ref()).put("sha", e.info().sha()).put("event", e.info().event());
      if (e.info().error() != null) {
        data.set("error", JSON.valueToTree(e.info().error()));
      }
    } else if (event instanceof Pipeline.JobStarted e) {
      at = e.at();
      type = "job.started";
      data = pipelineData(tenant, id, at).put("job", e.key()).put("attempt", e.attempt()).put("runner", e.runner());
    } else if (event instanceof Pipeline.JobFinished e) {
      at = e.at();
      type = "job.finished";
      data = pipelineData(tenant, id, at).put("job", e.key()).put("attempt", e.attempt())
          .put("status", e.status().api()).put("reason", e.reason());
    } else if (event instanceof Pipeline.PipelineFinished e) {
      at = e.at();
      type = "pipeline.finished";
      data = pipelineData(tenant, id, at).put("status", e.status());
    } else {
      return List.of();
    }
    return List.of(new FeedDraft(ordering, 0, tenant, type, data.toString(), at));
  }

  private static ObjectNode pipelineData(String tenant, String[] id, Instant at) {
    return base(tenant, at).put("repo", id[1]).put("number", Long.parseLong(id[2]));
  }

  /** {@code flag.changed} carries the whole flag, so a node's catalog needs nothing else. */
  private static List<FeedDraft> flag(long ordering, String entityId, Object event) {
    int slash = entityId.indexOf('/');
    String tenant = entityId.substring(0, slash);
    String key = entityId.substring(slash + 1);
    ObjectNode data;
    Instant at;
    if (event instanceof FeatureFlag.FlagDefined e) {
      data = flagData(tenant, key, e.at(), "defined", e.version(), e.definition());
      at = e.at();
    } else if (event instanceof FeatureFlag.FlagToggled e) {
      data = flagData(tenant, key, e.at(), "toggled", e.version(), e.definition());
      at = e.at();
    } else if (event instanceof FeatureFlag.FlagArchived e) {
      data = flagData(tenant, key, e.at(), "archived", e.version(), null);
      at = e.at();
    } else {
      return List.of();
    }
    return List.of(new FeedDraft(ordering, 0, tenant, "flag.changed", data.toString(), at, key));
  }

  private static ObjectNode flagData(String tenant, String key, Instant at, String change, long version, FlagDefinition d) {
    ObjectNode data = base(tenant, at).put("key", key).put("change", change).put("version", version)
        .put("archived", d == null);
    if (d != null) {
      data.put("enabled", d.enabled());
      data.set("definition", JSON.valueToTree(d));
    }
    return data;
  }

  /** Plans, because nodes gate flags on them, and secret changes; tokens never reach the feed. */
  private static List<FeedDraft> tenant(long ordering, String tenant, Object event) {
    if (event instanceof Tenant.TenantCreated e) {
      ObjectNode data = base(tenant, e.at()).put("displayName", e.displayName()).put("plan", e.plan().id());
      return List.of(new FeedDraft(ordering, 0, tenant, "tenant.created", data.toString(), e.at(), tenant));
    }
    if (event instanceof Tenant.PlanChanged e) {
      ObjectNode data = base(tenant, e.at()).put("plan", e.to().id()).put("previousPlan", e.from().id());
      return List.of(new FeedDraft(ordering, 0, tenant, "plan.changed", data.toString(), e.at(), tenant));
    }
    if (event instanceof Tenant.SecretChanged e) {
      ObjectNode data = base(tenant, e.at()).put("name", e.name())
          .put("tier", e.repo().isEmpty() ? "tenant" : "repository")
          .put("action", e.deleted() ? "deleted" : "put")
          .put("by", e.byName());
      if (!e.repo().isEmpty()) {
        data.put("repo", e.repo());
      }
      return List.of(new FeedDraft(ordering, 0, tenant, "secret.changed", data.toString(), e.at()));
    }
    return List.of();
  }

  private static List<FeedDraft> repo(long ordering, String entityId, Object event) {
    int slash = entityId.indexOf('/');
    String tenant = entityId.substring(0, slash);
    String repo = entityId.substring(slash + 1);
    if (event instanceof Repo.RepositoryCreated e) {
      ObjectNode data = base(tenant, e.at()).put("repo", repo)
          .put("defaultBranch", e.defaultBranch())
          .put("description", e.description())
          .put("visibility", e.visibility());
      return List.of(draft(ordering, 0, tenant, "repo.created", data, e.at()));
    }
    if (event instanceof Repo.RefsUpdated e) {
      List<FeedDraft> drafts = new ArrayList<>();
      int index = 0;
      for (Repo.RefChange change : e.changes()) {
        ObjectNode data = base(tenant, e.at()).put("repo", repo)
            .put("ref", change.ref())
            .put("before", change.oldId() == null ? ZERO_ID : change.oldId())
            .put("after", change.newId() == null ? ZERO_ID : change.newId())
            .put("commitCount", change.commitCount());
        ArrayNode commits = data.putArray("commits");
        for (Repo.CommitInfo c : change.commits()) {
          commits.addObject().put("id", c.id()).put("author", c.author())
              .put("time", String.valueOf(c.time())).put("message", c.message());
        }
        drafts.add(draft(ordering, index++, tenant, "repo.pushed", data, e.at()));
      }
      return drafts;
    }
    if (event instanceof Repo.RepositoryDeleted e) {
      return List.of(draft(ordering, 0, tenant, "repo.deleted", base(tenant, e.at()).put("repo", repo), e.at()));
    }
    return List.of();
  }

  private static ObjectNode base(String tenant, Instant at) {
    return JSON.createObjectNode().put("tenant", tenant).put("at", at.toString());
  }

  private static FeedDraft draft(long ordering, int index, String tenant, String type, ObjectNode data, Instant at) {
    return new FeedDraft(ordering, index, tenant, type, data.toString(), at);
  }
}
