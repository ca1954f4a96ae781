package benchmarks

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a run took place.
type Machine struct {
	CPUs     int    `json:"cpus"`      // logical CPUs (nproc)
	CPUModel string `json:"cpu_model"` // /proc/cpuinfo "model name", "" when unknown
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Go       string `json:"go"`
}

func thisMachine() Machine {
	return Machine{
		CPUs:     runtime.NumCPU(),
		CPUModel: cpuModel(),
		OS:       runtime.GOOS,
		Arch:     runtime.GOARCH,
		Go:       runtime.Version(),
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
