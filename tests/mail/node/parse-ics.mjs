// What ical.js (the parser inside Mozilla's calendar) reads from .ics files: one JSON line.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

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
