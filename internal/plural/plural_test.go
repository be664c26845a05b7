package plural

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		noun string
		want string
	}{
		{0, "finding", "0 findings"},
		{1, "finding", "1 finding"},
		{2, "finding", "2 findings"},
		{1, "new finding", "1 new finding"},
		{3, "new finding", "3 new findings"},
		{2, "box", "2 boxes"},
		{2, "class", "2 classes"},
		{1, "class", "1 class"},
		{-1, "file", "-1 files"},
		{2, "", "2 s"},
	}
	for _, tt := range tests {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
