package remediate

import (
	"strconv"
	"strings"
)

// quantitySuffixes are Kubernetes resource quantity suffixes and their
// multipliers (k8s.io/apimachinery/pkg/api/resource).
var quantitySuffixes = []struct {
	suffix string
	mult   float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
	{"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
}

// parseQuantity reads a Kubernetes quantity ("500m", "256Mi", "1.5", "1e3").
func parseQuantity(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	for _, q := range quantitySuffixes {
		if strings.HasSuffix(s, q.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, q.suffix), 64)
			return v * q.mult, err == nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// quantityString renders a JSON value of a quantity field.
func quantityString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
