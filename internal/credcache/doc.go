// Package credcache is the awssts command's credential cache: a directory of entries that
// the awssts processes of one user share, so that they make one STS call per session between
// them.
//
// Its contract:
//
//   - An entry is found only under the Key it was stored with, and a Key holds the source
//     identity (Identify): the access key ID and a digest of its secret, a digest of a web
//     identity token's content, or, where the identity cannot be read locally (SSO,
//     credential_process, role chains, keys beside a role_arn), a digest of the resolved
//     profile settings, of the files they read and of the environment they take their
//     source from (credential_source); paths are absolute. For Roles Anywhere it holds the SHA-256
//     fingerprints of the certificate and its intermediates. A different identity never
//     matches.
//   - The directory is this user's and writable by no one else, entries are mode 0600, and
//     anything else is ignored with a warning that names the file and shows none of it.
//     Entries and locks are checked with Lstat and opened with O_NOFOLLOW|O_NONBLOCK: a
//     symlink is never followed and a FIFO never blocks.
//   - Entries are written to a .tmp- file and renamed, so a reader sees a whole entry or
//     none. One process at a time renews an entry, under KEY.lock; the others wait for it
//     (up to LockWait) and then read what it stored.
//   - A refusal from STS or Roles Anywhere (IsRefusal, the awssts library's rule: any API
//     error that is not an outage, or an unparsed 401 or 403) removes the entry, and its
//     credentials are never served in place of the error.
//   - Any other failed STS call is recorded in the entry: across all processes an entry gets
//     at most MaxAttempts calls per AttemptWindow during an outage. Meanwhile cached
//     credentials that the caller deems usable are served with a warning.
//   - MkdirTemp makes a directory in the same private directory, for files that no other
//     user may make or replace (the endpoint's config copy).
//   - Clear removes entries, their locks, and the .tmp- files that a crash left behind.
//
// Nothing here logs or formats a secret: warnings name files, never their content.
package credcache
