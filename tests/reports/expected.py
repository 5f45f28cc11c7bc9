"""The figures of tests/reports/conftest.py's world for 2026-01-01 .. 2026-03-31, worked out by hand.

Each tuple is (visits, schools, students, volunteer_minutes, volunteers, visits_without_checkins,
visits_without_student_counts, kits_delivered, kits_consumed, kit_value_fen, donated_value_fen); the comment under it
shows where each number comes from. The kits per visit (conftest's kit table): V1 delivered 9 + 20 = 29, consumed
7 + 18 = 25, value 112950 + 60000 = 172950 fen; V2 0 (shipped, not confirmed), 0, 0; V3 6, 4, 18000; V4 none; P1 2,
2, 25100; P2 none.
The value of donated kits delivered (conftest's donation table): V1 89800, V2 0, V3 15000, P1 24000 fen.
"""

FIELDS = (
    "visits",
    "schools",
    "students",
    "volunteer_minutes",
    "volunteers",
    "visits_without_checkins",
    "visits_without_student_counts",
    "kits_delivered",
    "kits_consumed",
    "kit_value_fen",
    "donated_value_fen",
)

TOTAL = (4, 4, 165, 900, 3, 1, 1, 35, 29, 190950, 104800)
# V1..V4; schools A, S (V1's satellite), B, C; students 30+25+40 + 20 + 15 + 35;
# minutes 240+180 + 120+60 + 300 (V4 has no check-in: none); s1, g1, s2; V4 without check-in; V3 unrecorded lesson;
# kits delivered 29 (V1) + 0 (V2 not confirmed) + 6 (V3) = 35, consumed 25 + 4 = 29, value 172950 + 18000 = 190950,
# donated value 89800 + 15000 = 104800
TOTAL_PREVIOUS = (2, 2, 22, 290, 2, 0, 0, 2, 2, 25100, 24000)
# P1 (C) and P2 (A; 2025-10-03 07:00 Beijing is 10-02 in UTC, still in the period); P0 is a day earlier;
# students 10 + 12; minutes 200 + 90; g1, s1; kits: P1's 2 (P2 had none), 2 consumed, 2 × 12550, donated 24000

COMPANY = {
    "星辰科技": ((3, 3, 150, 420, 2, 1, 0, 29, 25, 172950, 89800), (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0)),
    # V1, V2, V4; schools A, S, B; 95 + 20 + 35; s1 240 + s1 120 + s2 60; s1, s2; V4. Before: P2
    "绿源能源": ((2, 3, 110, 480, 1, 0, 1, 35, 29, 190950, 104800), (1, 1, 10, 200, 1, 0, 0, 2, 2, 25100, 24000)),
    # V1, V3; schools A, S, C; 95 + 15; g1 180 + 300; g1; V3 unrecorded. Before: P1
}

#: names in code point order (as the tables list them)
REGION = {
    ("四川省", "凉山彝族自治州", "昭觉县"): ((1, 1, 20, 180, 2, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    # V2 (V5 starts after the period)
    ("四川省", "凉山彝族自治州", "美姑县"): (
        (2, 2, 130, 420, 3, 1, 0, 29, 25, 172950, 89800),
        (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0),
    ),
    # V1, V4 at A; A and S (S is in 云南省 but counts under its host's region); 95 + 35; 240 + 180; s1, g1, s2
    ("贵州省", "黔东南苗族侗族自治州", "雷山县"): (
        (1, 1, 15, 300, 1, 0, 1, 6, 4, 18000, 15000),
        (1, 1, 10, 200, 1, 0, 0, 2, 2, 25100, 24000),
    ),
    # V3; before: P1
}

PROVINCE = {
    "四川省": ((3, 3, 150, 600, 3, 1, 0, 29, 25, 172950, 89800), (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0)),
    # V1, V2, V4; A, S, B; 95 + 20 + 35; 420 + 180; s1, g1, s2
    "贵州省": ((1, 1, 15, 300, 1, 0, 1, 6, 4, 18000, 15000), (1, 1, 10, 200, 1, 0, 0, 2, 2, 25100, 24000)),
}

SCHOOL = {
    "昭觉县小学": ((1, 1, 20, 180, 2, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    "美姑县第一小学": ((2, 2, 130, 420, 3, 1, 0, 29, 25, 172950, 89800), (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0)),
    "雷山县小学": ((1, 1, 15, 300, 1, 0, 1, 6, 4, 18000, 15000), (1, 1, 10, 200, 1, 0, 0, 2, 2, 25100, 24000)),
}

MONTH = {
    "2026-01": ((1, 2, 95, 420, 2, 0, 0, 29, 25, 172950, 89800), (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0)),
    # V1; before: 2025-10-03 .. 11-02 (the same days 90 days earlier): P2
    "2026-02": ((1, 1, 20, 180, 2, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    # V2, which starts 2026-01-31 23:00 UTC but 02-01 07:00 in Beijing; before: 11-03 .. 11-30, nothing
    "2026-03": ((2, 2, 50, 300, 2, 1, 1, 6, 4, 18000, 15000), (1, 1, 10, 200, 1, 0, 0, 2, 2, 25100, 24000)),
    # V3, V4; C, A; 15 + 35; g1 300; g1, s2; before: 12-01 .. 12-31: P1
}

STAR_VOLUNTEERS = {
    "Li Hua": ((2, 2, 55, 60, 1, 1, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    # s2: V2 (B), V4 (A); 20 + 35; 60 (V4 none)
    "王小明": ((2, 3, 115, 360, 1, 0, 0, 29, 25, 172950, 89800), (1, 1, 12, 90, 1, 0, 0, 0, 0, 0, 0)),
    # s1: V1 (A, S), V2 (B); 95 + 20; 240 + 120; before: P2
}

#: s1's hours, all time: P0 45, P2 90, V1 240, V2 120, V5 100
S1_VISITS = 5
S1_MINUTES = 595

#: lessons given at the host schools of the completed visits (the school page's headline): V1 2, V2 1, V3 2, V4 1;
#: before: P1 1, P2 1 (now, before)
LESSONS = {"total": (6, 2), "美姑县第一小学": (3, 1), "昭觉县小学": (1, 0), "雷山县小学": (2, 1)}
