package dev.devflow.http;

import dev.devflow.actors.tenant.Role;

/**
 * Who is calling: the cluster admin (the admin token) or a tenant token with its role.
 *
 * @param tenant    null for the cluster admin
 * @param role      null for the cluster admin, who may do everything
 * @param tokenId   the token's id (for audit), "admin" for the admin token
 */
public record Principal(boolean clusterAdmin, String tenant, Role role, String tokenId, String tokenName) {

  public static final Principal CLUSTER_ADMIN = new Principal(true, null, null, "admin", "admin");

  /** True when the principal may see the tenant at all (else the tenant "does not exist"). */
  public boolean canSee(String t) {
    return clusterAdmin || tenant.equals(t);
  }

  /** True when the principal's role in its tenant covers {@code required}. */
  public boolean has(Role required) {
    return clusterAdmin || role.covers(required);
  }
}
