/** JUnit reports as test programs write them, for the tests that read a project's own. */

/** googletest's `--gtest_output=xml:` of a suite with a pass, a failure and a skip (googletest 1.12's shape). */
export const GTEST_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1" disabled="0" errors="0" time="0.002" timestamp="2024-05-01T10:00:00.000" name="AllTests">
  <testsuite name="Parser" tests="3" failures="1" disabled="0" skipped="1" errors="0" time="0.001" timestamp="2024-05-01T10:00:00.000">
    <testcase name="ParsesEmpty" file="parser_test.cpp" line="8" status="run" result="completed" time="0" timestamp="2024-05-01T10:00:00.000" classname="Parser" />
    <testcase name="RejectsGarbage" file="parser_test.cpp" line="12" status="run" result="completed" time="0" timestamp="2024-05-01T10:00:00.000" classname="Parser">
      <failure message="parser_test.cpp:14&#x0A;Expected equality of these values:&#x0A;  parse(&quot;x&quot;)&#x0A;    Which is: 1&#x0A;  0&#x0A;" type=""><![CDATA[parser_test.cpp:14
Expected equality of these values:
  parse("x")
    Which is: 1
  0
]]></failure>
    </testcase>
    <testcase name="NeedsNetwork" file="parser_test.cpp" line="20" status="run" result="skipped" time="0" timestamp="2024-05-01T10:00:00.000" classname="Parser">
      <skipped message="parser_test.cpp:21&#x0A;no network in the cell&#x0A;"><![CDATA[parser_test.cpp:21
no network in the cell
]]></skipped>
    </testcase>
  </testsuite>
</testsuites>
`;
