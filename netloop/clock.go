package netloop

import "time"

// epoch anchors monoNow; time.Since reads the monotonic clock.
var epoch = time.Now()

// monoNow returns monotonic nanoseconds since package start. Deadlines are
// kept as such integers so comparing them costs nothing.
func monoNow() int64 { return int64(time.Since(epoch)) }
