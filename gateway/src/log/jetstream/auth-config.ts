// The `authorization` block of a Nexus cluster's nats-server config, and the credentials of its
// users. Users are nkeys: the server config holds only public keys (it can be shared or leaked
// without giving anyone a login), and each user proves itself by signing the server's nonce with its
// seed, which never crosses the network. There is no anonymous user (`no_auth_user` is not set):
// a connection without valid credentials is refused before it can publish or subscribe.
import { createUser } from '@nats-io/nkeys'
import { permissionsOf, type Role, roleName } from './roles.ts'
import { subjectsFor } from './subjects.ts'

/** What a gateway or replica connects with: keep it private (the seed is its login). */
export type NatsCredentials = { name: string; seed: string }

/** A user as the server knows it: its role and public nkey (U…). */
export type ClusterUser = Role & { publicKey: string }

export type ClusterAuth = { users: ClusterUser[]; credentials: NatsCredentials[] }

export type CreateClusterAuthParameters = {
  /** How many gateway users (`gateway-1` …). */
  gateways: number
  /** How many replica users (`replica-1` …): each may publish only its own shares. */
  replicas: number
}

/** Fresh nkeys for every role. @example const { users, credentials } = createClusterAuth({ gateways: 2, replicas: 4 }) */
export function createClusterAuth({ gateways, replicas }: CreateClusterAuthParameters): ClusterAuth {
  const roles: Role[] = [
    ...Array.from({ length: gateways }, (_, k) => ({ kind: 'gateway' as const, index: k + 1, name: roleName('gateway', k + 1) })),
    ...Array.from({ length: replicas }, (_, i) => ({ kind: 'replica' as const, index: i + 1, name: roleName('replica', i + 1) })),
  ]
  const users: ClusterUser[] = []
  const credentials: NatsCredentials[] = []
  for (const role of roles) {
    const pair = createUser()
    users.push({ ...role, publicKey: pair.getPublicKey() })
    credentials.push({ name: role.name, seed: new TextDecoder().decode(pair.getSeed()) })
  }
  return { users, credentials }
}

/**
 * The server config text (an `authorization` block, to include in each node's config) granting each
 * user its role's permissions on the log with this prefix. Every value is a quoted string, so `$JS…`
 * is never read as a config variable.
 */
export function renderAuthorization(users: ClusterUser[], prefix = 'nexus'): string {
  const subjects = subjectsFor(prefix)
  const replicas = users.filter((u) => u.kind === 'replica').length
  const entries = users.map((user) => ({ nkey: user.publicKey, permissions: permissionsOf(subjects, user, replicas) }))
  const indent = (text: string) => text.replaceAll('\n', '\n    ')
  const body = entries.map((e, k) => `    # ${users[k]!.name}\n    ${indent(JSON.stringify(e, null, 2))}`).join('\n')
  return `authorization {\n  users: [\n${body}\n  ]\n}\n`
}
