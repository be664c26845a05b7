package schedule

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/serve/clock"
)

func TestParse(t *testing.T) {
	from := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		expr    string
		want    time.Time
		wantErr string
	}{
		{"0 2 * * *", time.Date(2025, 6, 11, 2, 0, 0, 0, time.UTC), ""},
		// 02:00 in Paris is 00:00 UTC in summer.
		{"CRON_TZ=Europe/Paris 0 2 * * *", time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC), ""},
		{"CRON_TZ=America/New_York 30 1 * * 1-5", time.Date(2025, 6, 11, 5, 30, 0, 0, time.UTC), ""},
		{"@daily", time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC), ""},
		{"@every 6h", from.Add(6 * time.Hour), ""},
		{"CRON_TZ=Mars/Olympus 0 2 * * *", time.Time{}, "Mars/Olympus"},
		{"0 2 * *", time.Time{}, "expected exactly 5 fields"},
		{"61 2 * * *", time.Time{}, "61"},
		{"0 0 2 * * *", time.Time{}, "expected exactly 5 fields"},
		// robfig/cron panics on a zone with nothing after it (found by FuzzParse).
		{"TZ=UTC", time.Time{}, "followed by a space"},
		{"CRON_TZ=Europe/Paris", time.Time{}, "followed by a space"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(from); !got.Equal(tt.want) {
				t.Errorf("next after %v: %v, want %v", from, got.UTC(), tt.want)
			}
		})
	}
}

func TestOffset(t *testing.T) {
	window := 30 * time.Minute
	seen := map[time.Duration]bool{}
	for _, repo := range []string{"acme/a", "acme/b", "acme/c", "acme/d", "acme/e", "acme/f"} {
		o := Offset("nightly", repo, window)
		if o < 0 || o >= window {
			t.Errorf("%s: offset %v outside [0, %v)", repo, o, window)
		}
		if o != Offset("nightly", strings.ToUpper(repo), window) {
			t.Errorf("%s: offset depends on case", repo)
		}
		seen[o] = true
	}
	if len(seen) < 5 {
		t.Errorf("6 repositories share %d offsets: not spread", len(seen))
	}
	if Offset("nightly", "acme/a", window) == Offset("weekly", "acme/a", window) {
		t.Error("two schedules give a repository the same slot")
	}
	if Offset("nightly", "acme/a", 0) != 0 {
		t.Error("no window, yet an offset")
	}
}

func TestSchedulerFiresOnTimeWithoutOverlap(t *testing.T) {
	start := time.Date(2025, 6, 10, 23, 30, 0, 0, time.UTC) // 01:30 in Paris
	fake := clock.NewFake(start)
	var mu sync.Mutex
	var ticks []time.Time
	fired := make(chan struct{}, 10)
	release := make(chan struct{})
	s, err := New([]Spec{{Name: "nightly", Cron: "CRON_TZ=Europe/Paris 0 2 * * *"}, {Name: "hourly", Cron: "@hourly"}}, fake,
		func(ctx context.Context, sp Spec, at time.Time) error {
			if sp.Name != "nightly" {
				return nil
			}
			mu.Lock()
			ticks = append(ticks, at)
			mu.Unlock()
			fired <- struct{}{}
			<-release // a sweep that takes more than a day
			return nil
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan string, 10)
	s.afterRun = func(name string) {
		if name == "nightly" {
			ended <- name
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	paris2am := time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC)
	if !fake.WaitForWaiter(paris2am, done) {
		t.Fatal("scheduler stopped")
	}
	fake.Set(paris2am.Add(-time.Second))
	select {
	case <-fired:
		t.Fatal("fired a second early")
	default:
	}
	fake.WaitForWaiter(paris2am, done)
	fake.Set(paris2am)
	<-fired
	// The next night comes while the first run still goes: skipped.
	fake.WaitForWaiter(paris2am.Add(24*time.Hour), done)
	fake.Set(paris2am.Add(24 * time.Hour))
	fake.WaitForWaiter(paris2am.Add(48*time.Hour), done) // the loop went back to sleep
	close(release)
	<-ended
	// Four nights missed while asleep fire once, for the latest.
	fake.Set(paris2am.Add(5*24*time.Hour + time.Hour))
	<-fired
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	want := []time.Time{paris2am, paris2am.Add(5 * 24 * time.Hour)}
	if len(ticks) != 2 || !ticks[0].Equal(want[0]) || !ticks[1].Equal(want[1]) {
		t.Errorf("ticks %v, want %v", ticks, want)
	}
}

func TestNewRejects(t *testing.T) {
	for _, specs := range [][]Spec{
		{{Name: "", Cron: "@daily"}},
		{{Name: "a", Cron: "@daily"}, {Name: "a", Cron: "@hourly"}},
		{{Name: "a", Cron: "every night"}},
	} {
		if _, err := New(specs, nil, nil, nil); err == nil {
			t.Errorf("%+v accepted", specs)
		}
	}
}
