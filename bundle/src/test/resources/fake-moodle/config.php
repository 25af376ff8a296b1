<?php  // A FAKE Moodle config.php, for the bundle's tests only.
// Moodle's code cannot be downloaded on the machines that run these tests (no package registry
// they reach carries it), so this directory stands in for a Moodle 4.4/4.5 dirroot: config.php and
// lib/fake-moodle.php replace config.php + lib/setup.php, cache/locallib.php replaces the cache
// configuration writer, cache/stores/*/lib.php the two store plugins. They offer the functions and
// classes that moodle/apply-settings.php and moodle/configure-muc.php call, with Moodle's names and
// signatures, keep their state in .fake/state.json and record every call in .fake/calls.json, so
// the tests can check which API calls were made, in which order, and that a second run makes none.

unset($CFG);
global $CFG;
$CFG = new stdClass();

require(__DIR__ . '/lib/fake-moodle.php');
fake_moodle_setup();
