package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/awssts/awssts/bench"
)

// timings holds, per benchmark name (without the -GOMAXPROCS suffix) and unit, one value
// per round in the order the rounds ran.
type timings map[string]map[string][]float64

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.+)$`)

func readTimings(path string) (timings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := timings{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if t[m[1]] == nil {
			t[m[1]] = map[string][]float64{}
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, sc.Text(), err)
			}
			t[m[1]][fields[i+1]] = append(t[m[1]][fields[i+1]], v)
		}
	}
	return t, sc.Err()
}

// median is the median over rounds of name's unit, and false if it was not measured.
func (t timings) median(name, unit string) (float64, bool) {
	xs := t[name][unit]
	if len(xs) == 0 {
		return 0, false
	}
	return median(xs), true
}

// spread is a ratio between two contenders: the median of the per-round ratios and their range.
type spread struct{ med, lo, hi float64 }

func (t timings) ratio(a, b, unit string) (spread, bool) {
	xa, xb := t[a][unit], t[b][unit]
	n := min(len(xa), len(xb))
	if n == 0 {
		return spread{}, false
	}
	rs := make([]float64, n)
	for i := range rs {
		rs[i] = xa[i] / xb[i]
	}
	return spread{median(rs), slices.Min(rs), slices.Max(rs)}, true
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// readCounts finds the Results that the tests of package bench logged in go test -v output,
// keyed by row and case ("burst/anchor/100").
func readCounts(path string) (map[string]bench.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	counts := map[string]bench.Result{}
	for line := range strings.Lines(string(data)) {
		_, js, ok := strings.Cut(line, bench.ReportPrefix)
		if !ok {
			continue
		}
		var r bench.Result
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, line, err)
		}
		counts[r.Row+"/"+r.Case] = r
	}
	return counts, nil
}
