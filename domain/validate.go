package domain

import (
	"fmt"
	"regexp"
)

// Common checks of command input.

// checkToday refuses a command without the caller's idea of today.
func checkToday(today Date) error {
	if today.IsZero() {
		return invalid("today", "is required")
	}
	return nil
}

// checkDay refuses a missing date and a date after today: bad facts never
// become events.
func checkDay(field string, d, today Date) error {
	if err := checkToday(today); err != nil {
		return err
	}
	if d.IsZero() {
		return invalid(field, "is required")
	}
	if d.After(today) {
		return invalid(field, fmt.Sprintf("%s is after today (%s)", d, today))
	}
	return nil
}

// checkNotBefore refuses a date earlier than the fact it answers.
func checkNotBefore(field string, d, earliest Date, what string) error {
	if d.Before(earliest) {
		return invalid(field, fmt.Sprintf("%s is before %s (%s)", d, what, earliest))
	}
	return nil
}

// checkNewID refuses a missing id or one already used in this stream.
func (a *Asset) checkNewID(field, id string) error {
	if id == "" {
		return invalid(field, "is required")
	}
	if a.ids[id] {
		return invalid(field, fmt.Sprintf("%q is already used in this asset's history", id))
	}
	return nil
}

// caseNumber is the First-tier Tribunal (General Regulatory Chamber) case
// number format of ACV appeals, such as CR/2018/0003.
var caseNumber = regexp.MustCompile(`^CR/(19|20)[0-9]{2}/[0-9]{4,5}$`)

func checkCaseNumber(field, s string) error {
	if !caseNumber.MatchString(s) {
		return invalid(field, fmt.Sprintf("%q is not a tribunal case number like CR/2018/0003", s))
	}
	return nil
}
