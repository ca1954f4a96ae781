package reliability

import (
	"os"
	"testing"
)

// TestMain removes the busrtd binary that TestShutdownUnderLoad builds.
func TestMain(m *testing.M) {
	code := m.Run()
	if busrtdDir != "" {
		_ = os.RemoveAll(busrtdDir)
	}
	os.Exit(code)
}
