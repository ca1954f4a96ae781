// Package topictrie owns the broker's routing indexes: topic subscriptions
// (`/`-separated patterns with `+` and `#`, upstream's rules), per-subscriber
// exclusion sets, and the broadcast index over client names (`.`-separated
// masks with `?` and `*`).
//
// It knows nothing about clients: subscribers are small dense uint32 ids the
// caller allocates. Matching never blocks and never allocates; writers are
// serialized among themselves.
package topictrie
