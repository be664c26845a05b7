package remediate

import (
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// compareQuantities compares two Kubernetes quantities ("500m", "256Mi",
// "1.5", "1e3") exactly, as the API server does (resource.Quantity): -1,
// 0 or 1, and false when either is not a quantity.
func compareQuantities(a, b string) (int, bool) {
	x, err := resource.ParseQuantity(a)
	if err != nil {
		return 0, false
	}
	y, err := resource.ParseQuantity(b)
	if err != nil {
		return 0, false
	}
	return x.Cmp(y), true
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
