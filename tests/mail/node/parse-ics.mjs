// What ical.js (the parser inside Mozilla's calendar) reads from .ics files: one JSON line.
//
//   node parse-ics.mjs A.ics B.ics ...   the first VEVENT of each file (tests/mail)
//   node parse-ics.mjs --feed FEED.ics   every VEVENT of one feed and its calendar-level facts
//                                        (tests/calendars/feedcheck.py)
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

// An instant as a client shows it: UTC for a time in a zone (or in UTC), the wall-clock text for
// a floating time (no zone at all), the date for an all-day value.
function instant(time) {
  if (!time) return null;
  if (time.isDate || time.zone.tzid === "floating") return time.toString();
  return time.toJSDate().toISOString();
}

function feed(path) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  const refresh = calendar.getFirstPropertyValue("refresh-interval");
  return {
    calendar: {
      name: calendar.getFirstPropertyValue("name"),
      x_wr_calname: calendar.getFirstPropertyValue("x-wr-calname"),
      refresh_interval: refresh instanceof ICAL.Duration ? refresh.toSeconds() : null,
      vtimezones: calendar.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
    },
    events: calendar.getAllSubcomponents("vevent").map((component) => {
      const event = new ICAL.Event(component);
      return {
        uid: event.uid,
        summary: event.summary,
        location: event.location,
        description: event.description,
        status: component.getFirstPropertyValue("status"),
        sequence: event.sequence,
        start: instant(event.startDate),
        end: instant(event.endDate),
        tzid: event.startDate ? event.startDate.zone.tzid : null,
      };
    }),
  };
}

if (process.argv[2] === "--feed") {
  console.log(JSON.stringify(feed(process.argv[3])));
} else {
  const calendars = process.argv.slice(2).map((path) => {
    const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
    const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent"));
    return {
      summary: event.summary,
      tzid: event.startDate.zone.tzid,
      start: event.startDate.toString(),
      startUtc: event.startDate.toJSDate().toISOString(),
      status: event.component.getFirstPropertyValue("status"),
      sequence: event.sequence,
      vtimezones: calendar.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
    };
  });
  console.log(JSON.stringify(calendars));
}
