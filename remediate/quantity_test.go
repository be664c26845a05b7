package remediate

import "testing"

// Issue 17 (use the library in go.mod): quantities compare exactly, as the
// API server compares them, not as floats that round.
func TestCompareQuantities(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"500m", "1", -1, true},
		{"1", "1000m", 0, true},
		{"256Mi", "268435456", 0, true},
		{"1Gi", "1G", 1, true},
		{"1e3", "1k", 0, true},
		// float64 holds 2^53+1 as 2^53: a float comparison calls these equal.
		{"9007199254740993", "9007199254740992", 1, true},
		{"100n", "0.0000001", 0, true},
		{"500mm", "1", 0, false},
		{"1", "lots", 0, false},
	}
	for _, tt := range tests {
		got, ok := compareQuantities(tt.a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("compareQuantities(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}
