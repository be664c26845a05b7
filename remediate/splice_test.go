package remediate

import "testing"

func TestApplySplices(t *testing.T) {
	const src = "spec:\n  x: 1"
	tests := []struct {
		name string
		sps  []splice
		want string // "" with err
		err  bool
	}{
		{name: "none", want: src},
		{name: "replace", sps: []splice{{start: 11, end: 12, text: "2"}}, want: "spec:\n  x: 2"},
		{name: "any order", sps: []splice{{start: 11, end: 12, text: "2"}, {start: 0, end: 4, text: "kind"}}, want: "kind:\n  x: 2"},
		// remove's pair when the removed lines end the file: the lines go
		// from the newline after the colon, and " {}" goes after the colon.
		{name: "insertion before a removal at its start", sps: []splice{{start: 5, end: 12}, {start: 5, end: 5, text: " {}"}}, want: "spec: {}"},
		{name: "insertion where a replacement ends", sps: []splice{{start: 11, end: 12, text: "2"}, {start: 12, end: 12, text: "\n"}}, want: "spec:\n  x: 2\n"},
		{name: "insertion at the end", sps: []splice{{start: 12, end: 12, text: "\n"}}, want: src + "\n"},
		{name: "overlapping ranges", sps: []splice{{start: 2, end: 8}, {start: 6, end: 9}}, err: true},
		{name: "two ranges at one start", sps: []splice{{start: 2, end: 8}, {start: 2, end: 4}}, err: true},
		{name: "two insertions at one offset", sps: []splice{{start: 5, end: 5, text: "a"}, {start: 5, end: 5, text: "b"}}, err: true},
		{name: "past the end", sps: []splice{{start: 11, end: 13}}, err: true},
		{name: "backwards", sps: []splice{{start: 4, end: 3}}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applySplices([]byte(src), tt.sps)
			if tt.err {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
