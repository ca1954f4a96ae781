// Package topictrie owns the broker's routing indexes: topic subscriptions
// (`/`-separated patterns with `+` and `#`, upstream's rules, ROUTING.md
// §4.1), per-subscriber exclusion sets (§7), and the broadcast index over
// client names (`.`-separated masks with `?` and `*`, §5.1).
//
// It knows nothing about clients: subscribers are small dense uint32 ids the
// caller allocates. It imports nothing from the project.
//
// # Design
//
// Every index is a trie of segments whose nodes are immutable once
// published: a writer copies the nodes and tables on the path it changes
// and publishes the new root with one atomic store (writers serialize on a
// mutex). A match loads the root once and reads a consistent snapshot, so
// it never blocks, never takes a lock a writer holds, sees each write whole
// or not at all, and allocates nothing once the caller's dst slice and
// Scratch are warm. Untouched subtrees are shared between snapshots.
//
// A node's literal children live in a table inside the node: a short list,
// or, when wide, a hash array mapped trie whose updates copy at most 32
// slots per level. Slots carry segment hashes; segments of up to 7 bytes
// hash by a bijection, so matching them never reads the stored bytes. Topic
// tries are path-compressed: an edge may carry several segments
// ("a/b/c") where the positions between hold nothing.
//
// Matching follows the topic through literal children and `+` children and
// collects `#` subscribers on the way; a subscriber reached through several
// patterns is reported once (Scratch keeps per-id marks). `a/#` and `a/#/x`
// share a trie position but stay separate subscriptions (DECISIONS.md).
package topictrie
