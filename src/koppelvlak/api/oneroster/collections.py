"""Every OneRoster endpoint we serve: which records, which parents, which scopes.

One table instead of forty hand-written routes: a path names a record type, the parents whose
``sourcedId``s narrow it (``schools/{id}/students`` keeps the students linked to that school) and
whether it answers a single record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from koppelvlak.api.oneroster import fields
from koppelvlak.api.tokens import DEMOGRAPHICS, ROSTER, ROSTER_CORE


@dataclass(frozen=True)
class RecordType:
    set_key: str  # key of the collection body, e.g. "users"
    single_key: str  # key of the single-record body, e.g. "user"
    fields: frozenset[str]
    aliases: Mapping[str, str]
    collection: str  # the kept release's collection it is read from
    kinds: tuple[str, ...] | None  # narrowed to these kinds (None: all)
    noun: str  # for messages: "user", "class"
    required: tuple[str, ...] = ()  # kept by a ``fields`` projection


ORGS = RecordType(
    "orgs",
    "org",
    fields.ORG,
    fields.NO_ALIASES,
    "orgs",
    None,
    "org",
    required=fields.REQUIRED_ORG,
)
SCHOOLS = RecordType(
    "orgs",
    "org",
    fields.ORG,
    fields.NO_ALIASES,
    "orgs",
    ("school",),
    "school",
    required=fields.REQUIRED_ORG,
)
SESSIONS = RecordType(
    "academicSessions",
    "academicSession",
    fields.ACADEMIC_SESSION,
    fields.NO_ALIASES,
    "academicSessions",
    None,
    "academic session",
    required=fields.REQUIRED_ACADEMIC_SESSION,
)
TERMS = RecordType(
    "academicSessions",
    "academicSession",
    fields.ACADEMIC_SESSION,
    fields.NO_ALIASES,
    "academicSessions",
    ("term",),
    "term",
    required=fields.REQUIRED_ACADEMIC_SESSION,
)
GRADING_PERIODS = RecordType(
    "academicSessions",
    "academicSession",
    fields.ACADEMIC_SESSION,
    fields.NO_ALIASES,
    "academicSessions",
    ("gradingPeriod",),
    "grading period",
    required=fields.REQUIRED_ACADEMIC_SESSION,
)
CLASSES = RecordType(
    "classes",
    "class",
    fields.CLASS,
    fields.NO_ALIASES,
    "classes",
    None,
    "class",
    required=fields.REQUIRED_CLASS,
)
COURSES = RecordType(
    "courses",
    "course",
    fields.COURSE,
    fields.NO_ALIASES,
    "courses",
    None,
    "course",
    required=fields.REQUIRED_COURSE,
)
USERS = RecordType(
    "users",
    "user",
    fields.USER,
    fields.USER_ALIASES,
    "users",
    None,
    "user",
    required=fields.REQUIRED_USER,
)
STUDENTS = RecordType(
    "users",
    "user",
    fields.USER,
    fields.USER_ALIASES,
    "users",
    ("student",),
    "student",
    required=fields.REQUIRED_USER,
)
TEACHERS = RecordType(
    "users",
    "user",
    fields.USER,
    fields.USER_ALIASES,
    "users",
    ("teacher",),
    "teacher",
    required=fields.REQUIRED_USER,
)
ENROLLMENTS = RecordType(
    "enrollments",
    "enrollment",
    fields.ENROLLMENT,
    fields.NO_ALIASES,
    "enrollments",
    None,
    "enrollment",
    required=fields.REQUIRED_ENROLLMENT,
)
DEMOGRAPHIC_RECORDS = RecordType(
    "demographics",
    "demographics",
    fields.DEMOGRAPHICS,
    fields.NO_ALIASES,
    "demographics",
    None,
    "demographics record",
    required=fields.REQUIRED_DEMOGRAPHICS,
)

CORE = frozenset({ROSTER_CORE, ROSTER})
FULL = frozenset({ROSTER})
DEMOGRAPHIC = frozenset({DEMOGRAPHICS})


@dataclass(frozen=True)
class Endpoint:
    path: str  # below the base path, with {placeholders}
    operation_id: str
    records: RecordType
    parents: tuple[tuple[str, RecordType], ...] = ()  # (path parameter, its record type)
    single: bool = False
    scopes: frozenset[str] = CORE


S, C = ("schoolSourcedId", SCHOOLS), ("classSourcedId", CLASSES)
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/academicSessions", "getAllAcademicSessions", SESSIONS),
    Endpoint("/academicSessions/{sourcedId}", "getAcademicSession", SESSIONS, single=True),
    Endpoint("/classes", "getAllClasses", CLASSES),
    Endpoint("/classes/{sourcedId}", "getClass", CLASSES, single=True),
    Endpoint(
        "/classes/{classSourcedId}/students", "getStudentsForClass", STUDENTS, (C,), scopes=FULL
    ),
    Endpoint(
        "/classes/{classSourcedId}/teachers", "getTeachersForClass", TEACHERS, (C,), scopes=FULL
    ),
    Endpoint("/courses", "getAllCourses", COURSES),
    Endpoint("/courses/{sourcedId}", "getCourse", COURSES, single=True),
    Endpoint(
        "/courses/{courseSourcedId}/classes",
        "getClassesForCourse",
        CLASSES,
        (("courseSourcedId", COURSES),),
        scopes=FULL,
    ),
    Endpoint("/demographics", "getAllDemographics", DEMOGRAPHIC_RECORDS, scopes=DEMOGRAPHIC),
    Endpoint(
        "/demographics/{sourcedId}",
        "getDemographics",
        DEMOGRAPHIC_RECORDS,
        single=True,
        scopes=DEMOGRAPHIC,
    ),
    Endpoint("/enrollments", "getAllEnrollments", ENROLLMENTS),
    Endpoint("/enrollments/{sourcedId}", "getEnrollment", ENROLLMENTS, single=True),
    Endpoint("/gradingPeriods", "getAllGradingPeriods", GRADING_PERIODS),
    Endpoint("/gradingPeriods/{sourcedId}", "getGradingPeriod", GRADING_PERIODS, single=True),
    Endpoint("/orgs", "getAllOrgs", ORGS),
    Endpoint("/orgs/{sourcedId}", "getOrg", ORGS, single=True),
    Endpoint("/schools", "getAllSchools", SCHOOLS),
    Endpoint(
        "/schools/{schoolSourcedId}/classes", "getClassesForSchool", CLASSES, (S,), scopes=FULL
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments",
        "getEnrollmentsForClassInSchool",
        ENROLLMENTS,
        (S, C),
        scopes=FULL,
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
        "getStudentsForClassInSchool",
        STUDENTS,
        (S, C),
        scopes=FULL,
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
        "getTeachersForClassInSchool",
        TEACHERS,
        (S, C),
        scopes=FULL,
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/courses", "getCoursesForSchool", COURSES, (S,), scopes=FULL
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/enrollments",
        "getEnrollmentsForSchool",
        ENROLLMENTS,
        (S,),
        scopes=FULL,
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/students", "getStudentsForSchool", STUDENTS, (S,), scopes=FULL
    ),
    Endpoint(
        "/schools/{schoolSourcedId}/teachers", "getTeachersForSchool", TEACHERS, (S,), scopes=FULL
    ),
    Endpoint("/schools/{schoolSourcedId}/terms", "getTermsForSchool", TERMS, (S,), scopes=FULL),
    Endpoint("/schools/{sourcedId}", "getSchool", SCHOOLS, single=True),
    Endpoint("/students", "getAllStudents", STUDENTS),
    Endpoint("/students/{sourcedId}", "getStudent", STUDENTS, single=True),
    Endpoint(
        "/students/{studentSourcedId}/classes",
        "getClassesForStudent",
        CLASSES,
        (("studentSourcedId", STUDENTS),),
        scopes=FULL,
    ),
    Endpoint("/teachers", "getAllTeachers", TEACHERS),
    Endpoint("/teachers/{sourcedId}", "getTeacher", TEACHERS, single=True),
    Endpoint(
        "/teachers/{teacherSourcedId}/classes",
        "getClassesForTeacher",
        CLASSES,
        (("teacherSourcedId", TEACHERS),),
        scopes=FULL,
    ),
    Endpoint("/terms", "getAllTerms", TERMS),
    Endpoint("/terms/{sourcedId}", "getTerm", TERMS, single=True),
    Endpoint(
        "/terms/{termSourcedId}/classes",
        "getClassesForTerm",
        CLASSES,
        (("termSourcedId", TERMS),),
        scopes=FULL,
    ),
    Endpoint(
        "/terms/{termSourcedId}/gradingPeriods",
        "getGradingPeriodsForTerm",
        GRADING_PERIODS,
        (("termSourcedId", TERMS),),
        scopes=FULL,
    ),
    Endpoint("/users", "getAllUsers", USERS),
    Endpoint("/users/{sourcedId}", "getUser", USERS, single=True),
    Endpoint(
        "/users/{userSourcedId}/classes",
        "getClassesForUser",
        CLASSES,
        (("userSourcedId", USERS),),
        scopes=FULL,
    ),
)
