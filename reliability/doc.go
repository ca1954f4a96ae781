// Package reliability holds the broker's reliability tests: fuzzing of a
// live server, bounded chaos (and, by hand, soak) runs with a delivery
// checker and leak checks, slow consumers, size and connection limits,
// AAA enforcement over real sockets and graceful shutdown of busrtd under
// load. docs/reliability.md maps each promise of the broker to its test.
//
// Everything here is test code: the package has no API.
package reliability
