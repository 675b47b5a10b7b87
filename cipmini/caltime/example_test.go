package caltime_test

import (
	"fmt"
	"time"

	"github.com/cipmini/cipmini/cipmini/caltime"
)

// Expanding a weekly meeting defined in a VTIMEZONE zone, with an EXDATE
// and one instance moved by a RECURRENCE-ID override.
func ExampleRecurrence_Between() {
	zones := caltime.NewZones()
	err := zones.AddVTimezone("America/New_York", []caltime.Observance{
		{Daylight: true, Start: "19700308T020000", OffsetFrom: "-0500", OffsetTo: "-0400",
			RRule: "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", Name: "EDT"},
		{Start: "19701101T020000", OffsetFrom: "-0400", OffsetTo: "-0500",
			RRule: "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", Name: "EST"},
	})
	if err != nil {
		panic(err)
	}
	at := func(s string) time.Time {
		v, err := caltime.ParseDateTimeIn(s, "America/New_York", zones)
		if err != nil {
			panic(err)
		}
		return v.Time
	}
	r := &caltime.Recurrence{
		Start:     at("20270302T093000"),
		Duration:  caltime.DurationBetween(at("20270302T093000"), at("20270302T100000"), false),
		RRules:    []string{"FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
		ExDates:   []time.Time{at("20270316T093000")},
		Overrides: map[int64]caltime.Override{at("20270323T093000").Unix(): {Start: at("20270323T140000")}},
	}
	ins, err := r.Between(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil {
		panic(err)
	}
	for _, in := range ins {
		fmt.Println(in.Start.Format(time.RFC3339), "to", in.End.Format("15:04"))
	}
	// Output:
	// 2027-03-02T14:30:00Z to 15:00
	// 2027-03-09T14:30:00Z to 15:00
	// 2027-03-23T18:00:00Z to 18:30
}

func ExampleParseDateTime() {
	for _, s := range []string{"19961231T2000-0500", "1996-12-31T20:00:00Z", "19970714"} {
		v, err := caltime.ParseDateTime(s, nil)
		if err != nil {
			panic(err)
		}
		fmt.Println(v.Kind, v.UTC().Format(time.RFC3339))
	}
	// Output:
	// offset 1997-01-01T01:00:00Z
	// utc 1996-12-31T20:00:00Z
	// date 1997-07-14T00:00:00Z
}
