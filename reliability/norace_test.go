//go:build !race

package reliability

// raceEnabled reports a -race build (busrtd is then built with -race too).
const raceEnabled = false
