#!/usr/bin/env python3
"""One function invocation the way Lambda runs it, without Docker.

Lambda's own Runtime Interface Emulator (aws-lambda-rie, built from its Go module by scripts/lib.sh)
starts the Java runtime interface client (aws-lambda-java-runtime-interface-client, copied by the
Maven build into tools/target/ric), which loads the handler named in template.yaml from a task root
laid out as the deployment package is (classes at the root, dependencies in lib/) and runs it with
the environment Lambda gives:

- the function's variables, Lambda's own (AWS_LAMBDA_FUNCTION_NAME, _MEMORY_SIZE, _TIMEOUT, ...),
  AWS_REGION, AWS_EXECUTION_ENV, and nothing of the caller's environment but PATH;
- credentials as Lambda delivers them: the session variables for an on-demand function; for a
  SnapStart function none of them, only the container credentials endpoint
  (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN), which the emulator
  serves itself in its SnapStart ("init caching") mode, on the runtime API's loopback address;
- the JVM options of Lambda's java21 runtime (serial GC, C1 only, heap from the memory size).

What this does not emulate: the snapshot and restore themselves (the JVM is not checkpointed), the
memory limit as a hard cap, and the network and IAM boundaries. `sam local invoke -e` runs the same
emulator and runtime client inside the java21 image; docs/decisions.md lists the differences.

Used by scripts/local (invoke, demo), by the tests that run a packaged function and by the
benchmark's cold runs:

  lambda_emulator.py --classes DIR --lib DIR --handler pkg.Class::handleRequest [--snapstart]
                     [--name NAME] [--memory MB] [--timeout S] [--env KEY=VALUE ...]
                     [--jvm-option=OPTION ...] EVENT.json

prints the function's log lines (and the emulator's START/END/REPORT lines), then the function's
result as the last line of stdout; exit 0 on success, 1 when the function failed (the last line is
then Lambda's error document), 2 on bad usage.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RIE = Path(os.environ.get("AUTOPILOT_RIE", ROOT / ".tools" / "aws-lambda-rie"))
RIC = Path(os.environ.get("AUTOPILOT_RIC", ROOT / "tools" / "target" / "ric"))
REGION = "us-east-1"
SESSION_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


@dataclass
class Result:
    """What one invocation gave: the function's output (or Lambda's error document) and its logs."""
    body: str
    logs: list = field(default_factory=list)
    error: bool = False
    seconds: float = 0.0
    emulator_log: str = ""

    def json(self):
        return json.loads(self.body)


def java_home():
    home = os.environ.get("JAVA_HOME")
    if not home:
        raise SystemExit("JAVA_HOME is not set (scripts/lib.sh's ensure_java sets it)")
    return Path(home)


def java_major():
    for line in (java_home() / "release").read_text().splitlines():
        if line.startswith("JAVA_VERSION="):
            return int(line.split("=", 1)[1].strip('"').split(".")[0])
    return 21


def java_options(memory_mb):
    """The JVM options Lambda's java21 runtime starts the function with (heap about 85% of memory)."""
    options = ["-XX:+UseSerialGC", "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
               f"-XX:MaxHeapSize={int(memory_mb * 1024 * 0.85)}k", "-Djava.net.preferIPv4Stack=true"]
    if java_major() >= 22:
        # Newer JDKs warn when the runtime client loads its JNI library; Lambda's java21 does not.
        options.append("--enable-native-access=ALL-UNNAMED")
    return options


def make_task_root(classes, lib, dest):
    """The deployment package's layout: compiled classes at the root, dependency jars in lib/."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(classes, dest)
    (dest / "lib").mkdir(exist_ok=True)
    for jar in Path(lib).glob("*.jar"):
        os.symlink(jar.resolve(), dest / "lib" / jar.name)
    return dest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotListening(Exception):
    """The emulator exited before it listened: most often a port taken between free_port() and its bind
    (the ports come from the range the machine's outgoing connections use too)."""


START_ATTEMPTS = 3


def check_installed():
    if not os.access(RIE, os.X_OK):
        raise SystemExit(f"Lambda's runtime interface emulator is not built ({RIE}): "
                         "scripts/local and scripts/test build it (scripts/lib.sh ensure_rie)")
    if not list(RIC.glob("aws-lambda-java-runtime-interface-client-*.jar")):
        raise SystemExit(f"the Java runtime interface client is not in {RIC}: run 'mvn install' (the tools module copies it)")


def invoke(task_root, handler, event, *, name, memory=512, timeout=30, snapstart=False, env=None,
           credentials=("local", "local", "local"), jvm_options=()):
    """Runs one cold invocation: a fresh emulator and JVM, the event, the answer, then both stopped.
    jvm_options are appended to the runtime's own (the local runner's stand-in for CloudFormation's
    response URL: a trust store and an https proxy, standard JDK settings)."""
    check_installed()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _invoke_once(task_root, handler, event, name=name, memory=memory, timeout=timeout,
                                snapstart=snapstart, env=env, credentials=credentials, jvm_options=jvm_options)
        except NotListening as e:
            # Nothing ran yet (the emulator never listened): start again on other ports.
            if attempt == START_ATTEMPTS:
                raise SystemExit(f"the runtime interface emulator exited before listening, {START_ATTEMPTS} times; "
                                 f"the last time: {e}")


def _invoke_once(task_root, handler, event, *, name, memory, timeout, snapstart, env, credentials, jvm_options):
    rie_port = free_port()
    api_port = free_port()
    while api_port == rie_port:
        api_port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC",
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_EXECUTION_ENV": "AWS_Lambda_java21",
        "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory), "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}", "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "LAMBDA_TASK_ROOT": str(task_root), "LAMBDA_RUNTIME_DIR": str(RIC),
    }
    if not snapstart:
        # Lambda says "snap-start" to a restored SnapStart function; the runtime client then waits for a
        # restore, which this emulator never sends (it takes no snapshot), so a SnapStart function
        # runs here without the variable.
        environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
    environment.update(env or {})
    # The emulator hands its own variables to the function; the session variables are also what its
    # credentials endpoint serves. For a SnapStart function the runtime is started without them, as
    # Lambda starts it: only the endpoint remains.
    environment.update(zip(SESSION_VARIABLES, credentials))
    runtime = [str(java_home() / "bin" / "java"), *java_options(memory), *jvm_options, "-cp", f"{RIC}/*",
               "com.amazonaws.services.lambda.runtime.api.client.AWSLambda", handler]
    if snapstart:
        runtime = ["env", *[f"--unset={v}" for v in SESSION_VARIABLES], *runtime]
    cmd = [str(RIE), "--log-level", "error", "--runtime-interface-emulator-address", f"127.0.0.1:{rie_port}",
           "--runtime-api-address", f"127.0.0.1:{api_port}"]
    if snapstart:
        cmd.append("--enable-init-caching")
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd + runtime, cwd=task_root, env=environment, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            try:
                wait_listening(rie_port, proc)
            except NotListening as e:
                err.seek(0)
                raise NotListening(f"{e}: {err.read().strip()[-300:]}") from None
            status, body = post(rie_port, event, timeout + 15)
        finally:
            stop(proc)
        out.seek(0)
        err.seek(0)
        logs = [line.rstrip("\n") for line in out if line.strip()]
        emulator_log = err.read()
    error = status != 200 or is_error_document(body)
    return Result(body=body, logs=logs, error=error, seconds=time.monotonic() - started, emulator_log=emulator_log)


def is_error_document(body):
    """Lambda's error answer: an object with errorType and errorMessage, or the timeout text."""
    if body.startswith("Task timed out after"):
        return True
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and "errorType" in doc and "errorMessage" in doc and len(doc) <= 4


def wait_listening(port, proc, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NotListening(f"the runtime interface emulator exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"the runtime interface emulator did not listen on 127.0.0.1:{port} within {seconds} s")


def post(port, event, seconds):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
    try:
        conn.request("POST", INVOKE_PATH, body=event, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def stop(proc):
    """The emulator and the runtime it started, as one process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def main(argv):
    p = argparse.ArgumentParser(description="Run one function invocation the way Lambda does.")
    p.add_argument("--classes", required=True, help="the function's compiled classes")
    p.add_argument("--lib", required=True, help="the function's dependency jars")
    p.add_argument("--handler", required=True)
    p.add_argument("--name", default="function")
    p.add_argument("--memory", type=int, default=512)
    p.add_argument("--timeout", type=int, default=30)
    p.add_argument("--snapstart", action="store_true", help="credentials only from the container endpoint")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--jvm-option", action="append", default=[], metavar="OPTION",
                   help="appended to the runtime's JVM options (e.g. a trust store); write --jvm-option=-D...")
    p.add_argument("event")
    args = p.parse_args(argv)
    env = {}
    for pair in args.env:
        if "=" not in pair:
            p.error(f"--env wants KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        env[key] = value
    try:
        event = Path(args.event).read_bytes()
    except OSError as e:
        p.error(f"event file not readable: {e}")
    with tempfile.TemporaryDirectory(prefix="task-") as tmp:
        root = make_task_root(args.classes, args.lib, Path(tmp) / "task")
        result = invoke(root, args.handler, event, name=args.name, memory=args.memory, timeout=args.timeout,
                        snapstart=args.snapstart, env=env, jvm_options=args.jvm_option)
    for line in result.logs:
        print(line)
    if result.error and result.emulator_log.strip():
        sys.stderr.write(result.emulator_log)
    print(result.body.replace("\n", " "))
    return 1 if result.error else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
