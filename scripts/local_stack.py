#!/usr/bin/env python3
"""The local stack: template.yaml deployed into moto_server, and the lifecycle played against it.

Called by scripts/local (which starts moto_server and the Java gateway and builds the jars).
Subcommands:
  deploy                      translate template.yaml (SAM) and create the stack in moto
  invoke LOGICAL_ID EVENT     run a function's handler, with its environment from template.yaml
  demo                        the lifecycle as it happens in AWS, with a timeline
  status                      the state of the web group, alarms, flag and status record
"""
import collections
import copy
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from datetime import datetime
from pathlib import Path

import boto3

import cfn_yaml
import lambda_emulator
import local_mail

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".local"
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = os.environ.get("AUTOPILOT_STACK", "moodle")
ARTIFACT_BUCKET = "autopilot-local-artifacts"
PIPELINE = STACK + "-deploy"
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the SAM translator resolves pseudo parameters from it
# The demo's release comes from a local HTTP server, not download.moodle.org.
LOCAL_ENV_OVERRIDES = {"MoodleSourceFunction": {"MOODLE_SOURCE_ALLOW_HTTP": "true"}}
# What moto's CloudFormation cannot create is made with the SDK beside the stack (alarms and
# scaling policies, which moto 5.2.1 skips silently; the Aurora cluster, created here with the
# local PostgreSQL as its endpoint), run through the project's own invoke (custom resources, which
# would need moto to run a Lambda in Docker), or left out with a stand-in name for every reference
# to it (the types moto's CloudFormation does not implement: caches, CDN, pipeline, ...).
CREATED_BY_SDK = {"AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm", "AWS::RDS::DBCluster"}
# Implemented by moto, but not on top of a cluster that moto's CloudFormation did not create.
LEFT_OUT = {"AWS::RDS::DBInstance"}
# Types moto creates but whose attributes (Fn::GetAtt) it cannot report: stand-in values.
NO_ATTRIBUTES = {"AWS::ElasticLoadBalancingV2::TargetGroup"}


def state():
    return json.loads((STATE / "state.json").read_text())


def client(service, endpoint=None):
    s = state()
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint or s["gateway"],
                        aws_access_key_id="local", aws_secret_access_key="local")


# --- template handling ----------------------------------------------------------------------



def load_template():
    return cfn_yaml.load(ROOT / "template.yaml")


def translate(template, parameters):
    """Applies the SAM transform with aws-sam-translator, as CloudFormation would."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            return {}

    return transform(template, parameters, NoManagedPolicies())


class Resolver:
    """Enough of CloudFormation's intrinsics to name the resources created outside moto's stack."""

    def __init__(self, params, physical, conditions=None, mappings=None):
        self.conditions = conditions or {}
        self.mappings = mappings or {}
        self.values = {"AWS::StackName": STACK, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                       "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        self.values.update(params)
        self.values.update(physical)

    def __call__(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref":
                return self.values[arg]
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return re.sub(r"\$\{([^}!][^}]*)\}",
                              lambda m: str(self(extra[m.group(1)]) if m.group(1) in extra else self.lookup(m.group(1))),
                              text)
            if fn == "Fn::Join":
                return arg[0].join(str(self(x)) for x in self(arg[1]))
            if fn == "Fn::GetAtt":
                return self.lookup(f"{arg[0]}.{arg[1]}")
            if fn == "Fn::If":
                return self(arg[1] if self.condition(arg[0]) else arg[2])
            if fn == "Fn::FindInMap":
                return self.mappings[self(arg[0])][self(arg[1])][self(arg[2])]
            if fn == "Fn::Select":
                return self(arg[1])[int(self(arg[0]))]
        if isinstance(node, dict):
            return {k: self(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self(v) for v in node]
        return node

    def lookup(self, name):
        if name in self.values:
            return self.values[name]
        if "." in name:
            # An attribute moto's stack does not report (e.g. a load balancer's full name): a
            # stand-in of the right kind is enough for the alarms and environments built here.
            return placeholder(*name.split(".", 1))
        raise KeyError(name)

    def condition(self, name):
        return self.truth(self.conditions[name])

    def truth(self, node):
        (fn, arg), = node.items()
        if fn == "Fn::Equals":
            return str(self(arg[0])) == str(self(arg[1]))
        if fn == "Fn::Not":
            return not self.truth(arg[0])
        if fn == "Fn::And":
            return all(self.truth(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.truth(a) for a in arg)
        if fn == "Condition":
            return self.condition(arg)
        raise ValueError(f"cannot evaluate condition {node}")


def placeholder(logical, attribute=None):
    """The stand-in name of a resource left out of the local stack (or of one of its attributes)."""
    if attribute is None:
        return f"{STACK}-{logical.lower()}-local"
    if attribute.endswith("Port"):
        return "6379"
    if attribute.endswith("Arn"):
        return f"arn:aws:local:{REGION}:{ACCOUNT}:{logical.lower()}"
    return f"{logical.lower()}-{attribute.lower().replace('.', '-')}.{STACK}.local"


def moto_lacks_intrinsics(node, params, resources=None):
    """Evaluates the intrinsics moto's CloudFormation does not implement (Fn::GetAZs, Fn::Cidr,
    Fn::GetAtt of a parameter's Value) the way CloudFormation would, so the rest of the template
    deploys as written."""
    import ipaddress
    if resources is None and isinstance(node, dict):
        resources = node.get("Resources", {})
    if isinstance(node, dict):
        if set(node) == {"Fn::GetAtt"} and list(node["Fn::GetAtt"])[1:] == ["Value"] \
                and resources.get(node["Fn::GetAtt"][0], {}).get("Type") == "AWS::SSM::Parameter":
            # A parameter's Value attribute is its Value property, which moto evaluates itself.
            return moto_lacks_intrinsics(resources[node["Fn::GetAtt"][0]]["Properties"]["Value"], params, resources)
        if set(node) == {"Fn::GetAZs"}:
            return [REGION + z for z in "abc"]
        if set(node) == {"Fn::Cidr"}:
            block, count, bits = node["Fn::Cidr"]
            block = params[block["Ref"]] if isinstance(block, dict) else block
            net = ipaddress.ip_network(block)
            return [str(n) for n in list(net.subnets(new_prefix=net.max_prefixlen - int(bits)))[:int(count)]]
        return {k: moto_lacks_intrinsics(v, params, resources) for k, v in node.items()}
    if isinstance(node, list):
        return [moto_lacks_intrinsics(v, params, resources) for v in node]
    return node


def supported_types():
    from moto.cloudformation.parsing import get_model_map
    return set(get_model_map())


def deployable(translated, known):
    """Splits the translated template into what moto deploys, what is created beside it, and what
    is left out (every reference to it becomes a stand-in name). `known` holds the real names of
    resources created beside the stack before it (the database cluster and its attributes)."""
    t = copy.deepcopy(translated)
    t.pop("Transform", None)
    resources = t["Resources"]
    supported = supported_types()
    aside = {k: v for k, v in resources.items()
             if v["Type"] in CREATED_BY_SDK or v["Type"].startswith("Custom::")}
    left_out = {k: v for k, v in resources.items()
                if k not in aside and (v["Type"] in LEFT_OUT or v["Type"] not in supported)}
    names = dict(known)
    pre = Resolver(known, {}, t.get("Conditions"), t.get("Mappings"))
    for logical, res in aside.items():
        if res["Type"] == "AWS::CloudWatch::Alarm":
            names[logical] = pre(res["Properties"]["AlarmName"])
    removed = set(aside) | set(left_out)
    attributeless = {k for k, v in resources.items() if v["Type"] in NO_ATTRIBUTES}

    def name(logical, attribute=None):
        key = logical if attribute is None else f"{logical}.{attribute}"
        return names.get(key) or placeholder(logical, attribute)

    def sub_text(text):
        return re.sub(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}",
                      lambda m: name(m.group(1), m.group(2))
                      if m.group(1) in removed or (m.group(2) and m.group(1) in attributeless) else m.group(0), text)

    def replace(node):
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in removed:
                return name(node["Ref"])
            if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in removed | attributeless:
                return name(node["Fn::GetAtt"][0], ".".join(node["Fn::GetAtt"][1:]))
            if set(node) == {"Fn::Sub"}:
                arg = node["Fn::Sub"]
                if isinstance(arg, str):
                    return {"Fn::Sub": sub_text(arg)}
                return {"Fn::Sub": [sub_text(arg[0]), replace(arg[1])]}
            return {k: replace(v) for k, v in node.items()}
        if isinstance(node, list):
            return [replace(v) for v in node]
        return node

    for logical in removed:
        del resources[logical]
    t = replace(t)
    for res in t["Resources"].values():
        deps = res.get("DependsOn")
        if deps:
            deps = [deps] if isinstance(deps, str) else deps
            kept = [d for d in deps if d not in removed]
            if kept:
                res["DependsOn"] = kept
            else:
                res.pop("DependsOn")
    for logical in left_out:
        names.setdefault(logical, placeholder(logical))
    return t, aside, left_out, names


# --- deploy ---------------------------------------------------------------------------------

def function_zip(code_dir):
    """The function as Lambda receives it: classes at the root, dependencies under lib/."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        classes = code_dir / "target" / "classes"
        for f in classes.rglob("*"):
            if f.is_file():
                z.write(f, f.relative_to(classes))
        for jar in (code_dir / "target" / "lib").glob("*.jar"):
            z.write(jar, "lib/" + jar.name)
    return buf.getvalue()


def unpack(package, task_root):
    if task_root.exists():
        shutil.rmtree(task_root)
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        z.extractall(task_root)


def site():
    """The local Moodle site's state (scripts/local_site.py): its ports, paths and secrets' files."""
    return json.loads((Path(state()["siteDir"]) / "state.json").read_text())


def site_login():
    """The site's database login (what the stack's secrets hold locally); read, never printed."""
    return json.loads(Path(site()["dbSecret"]).read_text())


def directory():
    """The organisation's directory (scripts/local_directory.py): its URLs, DNs, CA and users, with
    the files that hold their passwords."""
    return json.loads((Path(state()["directoryDir"]) / "state.json").read_text())


def directory_password(path):
    """A password from the directory's 0600 files; read, never printed."""
    return Path(path).read_text()


def local_parameters():
    """Stack parameters for the emulator, and the real names of what is created beside the stack
    before it: Moodle's database is the local site's PostgreSQL (TLS), registered as the stack's
    Aurora cluster, its managed secret holding the site's database login."""
    s = state()
    cluster = STACK + "-db"
    client("rds").create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql",
                                    MasterUsername="postgres", MasterUserPassword="local-unused-1")
    login = site_login()
    secret = client("secretsmanager").create_secret(
        Name=f"rds!cluster-{cluster}",
        SecretString=json.dumps({"engine": "postgres", **login}))["ARN"]
    image = client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    client("ssm").put_parameter(Name="/autopilot/local/web-image", Value=image, Type="String", Overwrite=True)
    params = {"WebImageId": "/autopilot/local/web-image", "DatabaseName": site()["site"]["dbname"],
              # A serverless Valkey cache: the demo shows sessions moving to it, with TLS.
              "SessionCacheEngine": "serverless",
              # Lets the AlarmReactor raise the web tier's maximum from 4 to 6 when it is at capacity.
              "WebAsgMaxCeiling": "6",
              **ldap_parameters()}
    known = {"DatabaseCluster": cluster,
             "DatabaseCluster.Endpoint.Address": "127.0.0.1",
             "DatabaseCluster.Endpoint.Port": str(s["postgresPort"]),
             "DatabaseCluster.ReadEndpoint.Address": "127.0.0.1",
             "DatabaseCluster.MasterUserSecret.SecretArn": secret,
             # The gateway's CodePipeline stand-in knows the pipeline by this name.
             "DeploymentPipeline": PIPELINE}
    return params, known


def deploy():
    started = time.monotonic()
    params, known = local_parameters()
    template = load_template()
    s3 = client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    snapstart = []
    for logical, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            code = res["Properties"]["CodeUri"]
            key = Path(code).name + ".zip"
            package = function_zip(ROOT / code)
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=package)
            # The local invoke runs the same bytes, unpacked where Lambda unpacks them (its task root).
            unpack(package, STATE / "task" / logical)
            res["Properties"]["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{key}"
            if res["Properties"].get("SnapStart", {}).get("ApplyOn") == "PublishedVersions":
                snapstart.append(logical)
            # moto cannot route a rule to an alias, and SnapStart has no meaning without Lambda:
            # the local stack targets the function itself.
            res["Properties"].pop("AutoPublishAlias", None)
            res["Properties"].pop("SnapStart", None)
    translated = moto_lacks_intrinsics(translate(template, params), with_defaults(template, params))
    # What later steps resolve (function environments, custom resource events), with the intrinsics
    # moto lacks already evaluated, so that they see what moto's stack holds.
    (STATE / "translated.json").write_text(json.dumps(translated, indent=1, default=str))
    body, aside, left_out, names = deployable(translated, known)
    cfn = client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(body, default=str),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    while True:
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("COMPLETE") or status.endswith("FAILED"):
            break
        time.sleep(0.2)
    if status != "CREATE_COMPLETE":
        reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=STACK)["StackEvents"]
                   if e.get("ResourceStatus", "").endswith("FAILED")]
        sys.exit(f"stack {STACK}: {status} {stack.get('StackStatusReason', '')} {reasons[:3]}")
    # Smoke test of references and outputs: every output the stack's conditions keep has a value.
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    conditions = Resolver(with_defaults(template, params), {}, translated.get("Conditions"), translated.get("Mappings"))
    wanted = [k for k, v in body.get("Outputs", {}).items() if "Condition" not in v or conditions.condition(v["Condition"])]
    empty = [k for k in wanted if not outputs.get(k)]
    if empty:
        sys.exit(f"stack {STACK}: outputs without a value: {', '.join(empty)}")
    physical = physical_names()
    values = with_defaults(template, params)
    # moto's CloudFormation creates buckets without their VersioningConfiguration; MoodleSource's
    # idempotence is by object version, so it is applied here as the template declares it.
    for logical, res in body["Resources"].items():
        versioning = res.get("Properties", {}).get("VersioningConfiguration")
        if res["Type"] == "AWS::S3::Bucket" and versioning and logical in physical:
            s3.put_bucket_versioning(Bucket=physical[logical], VersioningConfiguration=versioning)

    def resolver():
        return Resolver(values, {**names, **physical}, translated.get("Conditions"), translated.get("Mappings"))

    def exists(res):
        return "Condition" not in res or resolver().condition(res["Condition"])
    asg = client("autoscaling")
    for logical, res in aside.items():
        if res["Type"] == "AWS::AutoScaling::ScalingPolicy" and exists(res):
            p = resolver()(res["Properties"])
            name = f"{STACK}-{logical}"
            asg.put_scaling_policy(
                AutoScalingGroupName=p["AutoScalingGroupName"], PolicyName=name,
                PolicyType=p["PolicyType"], AdjustmentType=p["AdjustmentType"],
                ScalingAdjustment=int(p["ScalingAdjustment"]), Cooldown=int(p["Cooldown"]))
            # moto's PutScalingPolicy answer omits PolicyARN: read it back.
            physical[logical] = asg.describe_policies(PolicyNames=[name])["ScalingPolicies"][0]["PolicyARN"]
    cw = client("cloudwatch")
    alarms = {}
    for logical, res in aside.items():
        if res["Type"] == "AWS::CloudWatch::Alarm" and exists(res):
            p = resolver()(res["Properties"])
            for number, kind in (("Threshold", float), ("Period", int), ("EvaluationPeriods", int),
                                 ("DatapointsToAlarm", int)):
                if number in p:
                    p[number] = kind(p[number])
            cw.put_metric_alarm(**p)
            alarms[logical] = p["AlarmName"]
    topic = physical.get("AlarmTopic")
    if topic:
        # The demo's inbox: what the AlarmReactor really publishes, read back from SQS.
        sqs = client("sqs")
        queue = sqs.create_queue(QueueName=f"{STACK}-alarm-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    wire_site(physical)
    s = state()
    s.update(params=values, snapStart=snapstart, aside={k: v["Type"] for k, v in aside.items()}, alarms=alarms,
             names={**names, **{k: v for k, v in physical.items() if k in aside}},
             leftOut=sorted(f"{k} ({v['Type']})" for k, v in left_out.items()))
    (STATE / "state.json").write_text(json.dumps(s, indent=1))
    print(f"stack {STACK} created in the emulator in {time.monotonic() - started:.1f} s: "
          f"{len(body['Resources'])} resources by CloudFormation, {len(aside)} beside it, "
          f"{len(left_out)} of types moto's CloudFormation lacks left out (stand-in names; .local/state.json lists them); "
          f"{len(wanted)} outputs, all with a value")


def wire_site(physical):
    """Points the stack at the local site, where AWS would give the instances their own values: the
    site configuration parameter keeps the stack's keys with the site's paths, ports and URL; the
    database application secret holds the site's login (on AWS the instances create that user)."""
    ssm = client("ssm")
    name = f"/Moodle/{STACK}/Site/Config"
    published = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    local = site()["site"]
    for key in ("wwwroot", "sslproxy", "dbhost", "dbport", "dbname", "prefix", "dbreader",
                "dataroot", "dirroot", "localcachedir"):
        published[key] = local[key]
    ssm.put_parameter(Name=name, Value=json.dumps(published), Type="String", Overwrite=True)
    # moto's CloudFormation leaves the secret out (GenerateSecretString): it is made here under the
    # stand-in name the site configuration carries.
    client("secretsmanager").create_secret(Name=published["db_app_secret_arn"], SecretString=json.dumps(site_login()))
    # Aurora's managed master secret: the site's master login, which a deployment's
    # ensure-app-user.sh uses to give the application user its password.
    client("secretsmanager").create_secret(Name=published["db_secret_arn"],
                                           SecretString=Path(site()["dbMasterSecret"]).read_text())


def ldap_parameters():
    """LDAP sign-in as an operator gives it to the stack: the directory (StartTLS on its ldap://
    port), its network, the bind account and the secret that holds its password (the operator's,
    created before the stack), the people OU. The stack turns them into Moodle's auth_ldap settings,
    the site configuration's ldap_bind_secret_arn and the web tier's egress."""
    from urllib.parse import urlsplit
    d = directory()
    url = urlsplit(d["url"])
    bind = client("secretsmanager").create_secret(
        Name=f"/Moodle/{STACK}/LdapBind",
        SecretString=json.dumps({"password": directory_password(d["bindPasswordFile"])}))["ARN"]
    return {"LdapHost": url.hostname, "LdapPort": str(url.port), "LdapSecurity": "starttls",
            "LdapCidr": f"{url.hostname}/32", "LdapBindDn": d["bindDn"], "LdapBindSecretArn": bind,
            "LdapContexts": d["peopleDn"]}


def site_env(logical_id):
    """The functions' view of the site: the caches on the site's Redis (TLS, its own ports, host
    localhost as the certificate names it); the detector verifying the database's certificate
    against the site's CA."""
    st = site()
    if logical_id == "InstallDetectorFunction":
        return {"DB_TLS": "verify-full", "DB_CA_BUNDLE": st["ca"]}
    if logical_id == "LifecycleConvergerFunction":
        return {"SESSION_CACHE_ENDPOINT": "localhost", "SESSION_CACHE_PORT": str(st["redisSessionsPort"]),
                "APP_CACHE_ENDPOINT": "localhost", "APP_CACHE_PORT": str(st["redisCachePort"])}
    return {}


def with_defaults(template, params):
    values = {k: str(v["Default"]) for k, v in template.get("Parameters", {}).items() if "Default" in v}
    values.update(params)
    return values


def physical_names():
    cfn = client("cloudformation")
    out = {}
    for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"]:
        if r.get("PhysicalResourceId"):
            out[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    return out


# --- invoke ---------------------------------------------------------------------------------

def function_definition(logical_id):
    """The function as template.yaml declares it, resolved against the local stack."""
    translated = json.loads((STATE / "translated.json").read_text())
    res = translated["Resources"].get(logical_id)
    if res is None or res["Type"] != "AWS::Lambda::Function":
        functions = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
        sys.exit(f"no function {logical_id} in template.yaml (functions: {', '.join(functions)})")
    s = state()
    values = {**s.get("names", {}), **s.get("alarms", {}), **physical_names()}
    resolver = Resolver(dict(s["params"]), values, translated.get("Conditions"), translated.get("Mappings"))
    props = res["Properties"]
    env = {k: str(resolver(v)) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
    env.update(LOCAL_ENV_OVERRIDES.get(logical_id, {}))
    env.update(site_env(logical_id))
    return {"handler": props["Handler"], "env": env, "name": resolver(props.get("FunctionName", logical_id)),
            "timeout": int(props.get("Timeout", 3)), "memory": int(props.get("MemorySize", 128)),
            "snapstart": logical_id in s.get("snapStart", [])}


def invoke(logical_id, event_file, quiet=False, jvm_options=()):
    """Runs the function as Lambda would (scripts/lambda_emulator.py: Lambda's runtime interface
    emulator and Java runtime client, the deployed package, credentials as Lambda hands them).
    jvm_options: JDK settings for the run's JVM (the custom resource receiver's trust and proxy)."""
    fn = function_definition(logical_id)
    s = state()
    env = dict(fn["env"], AWS_ENDPOINT_URL=s["gateway"], AWS_EMF_ENVIRONMENT="Local")
    result = lambda_emulator.invoke(STATE / "task" / logical_id, fn["handler"], Path(event_file).read_bytes(),
                                    name=fn["name"], memory=fn["memory"], timeout=fn["timeout"],
                                    snapstart=fn["snapstart"], env=env, jvm_options=jvm_options)
    if not quiet:
        for line in result.logs:
            print(line)
        print(safe_line(result.body))
    if result.error:
        if quiet:
            sys.stderr.write("\n".join(result.logs) + "\n" + result.body + "\n")
        sys.stderr.write(result.emulator_log)
        raise SystemExit(f"{logical_id} failed: {result.body[:300]}")
    return result.json(), result.logs


# Every character str.splitlines() breaks at. JSON allows U+0085, U+2028 and U+2029 raw inside a
# string, so a result holding one became two "lines" for whoever reads the output line by line; as a
# \uXXXX escape it is the same JSON value. CR and LF can only be whitespace between tokens.
_LINE_BREAKS = str.maketrans({"\n": " ", "\r": " ", **{c: "\\u%04x" % ord(c) for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}})


def safe_line(text):
    """One line, whatever the function returned, and the same JSON value when it was JSON."""
    return text.translate(_LINE_BREAKS)


# --- the demo -------------------------------------------------------------------------------

def snapshot():
    s = state()
    asg = client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[STACK + "-web"])["AutoScalingGroups"][0]
    alarms = client("cloudwatch").describe_alarms(AlarmNames=[STACK + "-web-cpu-high", STACK + "-web-cpu-low"])["MetricAlarms"]
    ssm = client("ssm")
    got = {p["Name"]: p for p in ssm.get_parameters(Names=[
        f"/Moodle/{STACK}/IsMoodleSetupCompleted", f"/Moodle/{STACK}/Automation/Status",
        f"/Moodle/{STACK}/Automation/SessionConfig"])["Parameters"]}
    status = got.get(f"/Moodle/{STACK}/Automation/Status")
    session = got.get(f"/Moodle/{STACK}/Automation/SessionConfig")
    detector = client("events").describe_rule(Name=f"{STACK}-install-detector")["State"].lower()
    return {
        "detector": detector,
        "group": f"{asg['MinSize']}/{asg['MaxSize']}/{asg['DesiredCapacity']}",
        "alarms": "on" if all(a["ActionsEnabled"] for a in alarms) else "off" if not any(a["ActionsEnabled"] for a in alarms) else "mixed",
        "flag": got.get(f"/Moodle/{STACK}/IsMoodleSetupCompleted", {}).get("Value"),
        "status": json.loads(status["Value"]) if status else None,
        "session": json.loads(session["Value"]).get("session_handler_class") if session else None,
    }


def parameter_store_change(name, operation):
    """The event Parameter Store sends to EventBridge on a change, in AWS's shape (value not included)."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Parameter Store Change", "source": "aws.ssm",
        "account": ACCOUNT, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": REGION,
        "resources": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"],
        "detail": {"name": name, "type": "String", "operation": operation},
    }


def route(event):
    """Delivers an event as EventBridge would: every rule of the stack whose own pattern (read back
    from the emulator) matches, to that rule's Lambda targets. moto's TestEventPattern is a stub, so
    the match uses moto's own pattern engine, in process."""
    from moto.events.models import EventPattern
    events = client("events")
    functions = {v: k for k, v in physical_names().items()}
    delivered = []
    for rule in events.list_rules()["Rules"]:
        if not rule.get("EventPattern") or not EventPattern.load(rule["EventPattern"]).matches_event(event):
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            fn_name = target["Arn"].split(":function:")[-1]
            logical = functions.get(fn_name)
            if logical:
                delivered.append((rule["Name"], logical))
    return delivered


# CloudFormation's response bucket in us-east-1: a custom resource answers only an https pre-signed
# URL of an S3 endpoint (function-support's ResponseUrlPolicy), so the demo's receiver is that, for the
# function's JVM: a certificate for this name from a CA made here, which the JVM trusts
# (javax.net.ssl.trustStore), reached through the JVM's https proxy (https.proxyHost), which is the
# receiver itself: it takes "CONNECT <name>:443" and then speaks TLS with that certificate.
# Standard JDK settings only; the function keeps its production rule (docs/decisions.md).
RESPONSE_HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
SIGNED_QUERY = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host"
                "&X-Amz-Expires=7200&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
                "&X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000")
TRUST_PASSWORD = "autopilot-local"
_tls = {}


def response_tls():
    """The receiver's certificate and key (PEM) and the function JVM's trust store (PKCS12, the CA
    only), made once per run under .local/tls with openssl and keytool."""
    if _tls:
        return _tls
    import ssl
    d = STATE / "tls"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)

    def run(*cmd):
        subprocess.run(cmd, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    (d / "ext.cnf").write_text(f"subjectAltName=DNS:{RESPONSE_HOST}\nextendedKeyUsage=serverAuth\n"
                               "basicConstraints=CA:FALSE\n")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Moodle Autopilot local CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "receiver.key", "-out", "receiver.csr", "-subj", f"/CN={RESPONSE_HOST}")
    run("openssl", "x509", "-req", "-in", "receiver.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "receiver.pem", "-days", "2", "-extfile", "ext.cnf")
    run(str(lambda_emulator.java_home() / "bin" / "keytool"), "-importcert", "-noprompt", "-alias", "ca",
        "-file", "ca.pem", "-keystore", "truststore.p12", "-storetype", "PKCS12", "-storepass", TRUST_PASSWORD)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "receiver.pem", d / "receiver.key")
    _tls.update(context=context, truststore=d / "truststore.p12")
    return _tls


class ResponseReceiver(http.server.BaseHTTPRequestHandler):
    """Plays the pre-signed S3 URL that a custom resource answers CloudFormation through: the JVM's
    https proxy, which answers CONNECT to the S3 name itself, over TLS with the name's certificate.
    Every CONNECT is recorded (a refused request must open none)."""
    answers = []
    connects = []

    def do_CONNECT(self):
        ResponseReceiver.connects.append(self.path)
        if self.path != f"{RESPONSE_HOST}:443":
            self.send_error(403, "only the S3 response name")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        tls = response_tls()["context"].wrap_socket(self.connection, server_side=True)
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        self.close_connection = False
        while not self.close_connection:
            self.handle_one_request()

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ResponseReceiver.answers.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = True

    def log_message(self, *args):
        pass


def alarm_event(alarm, state_value, reason):
    """Sets the alarm's state in CloudWatch and returns the event EventBridge emits for it."""
    cw = client("cloudwatch")
    before = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    cw.set_alarm_state(AlarmName=alarm, StateValue=state_value, StateReason=reason,
                       StateReasonData=json.dumps({"version": "1.0", "statistic": "Average", "period": 60,
                                                   "recentDatapoints": [88.1, 93.4, 97.2], "threshold": 75.0}))
    a = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]

    def ts(t):
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+0000"
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": ACCOUNT, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": REGION, "resources": [a["AlarmArn"]],
        "detail": {"alarmName": alarm,
                   "state": {"value": a["StateValue"], "reason": a["StateReason"],
                             "reasonData": a.get("StateReasonData", ""), "timestamp": ts(a["StateUpdatedTimestamp"])},
                   "previousState": {"value": before["StateValue"], "reason": before.get("StateReason", ""),
                                     "timestamp": ts(before["StateUpdatedTimestamp"])},
                   "configuration": {"description": a.get("AlarmDescription", "")}},
    }


def inbox():
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=f"{STACK}-alarm-inbox")["QueueUrl"]
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]).get("Subject", ""))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def deliver_alarm(alarm, state_value, reason, before=None):
    def act():
        if before:
            before()
        event = alarm_event(alarm, state_value, reason)
        path = STATE / "event-alarm.json"
        path.write_text(json.dumps(event))
        out = []
        for rule, logical in route(event):
            result, _ = invoke(logical, path, quiet=True)
            out.append(f"rule {rule} -> {logical}: {result['outcome']} {result.get('actions', [])}")
        messages = inbox()
        return (f"{alarm} -> {state_value}; " + " | ".join(out or ["no rule matched"])
                + (f"\n          published: {messages}" if messages else "\n          published: nothing"))
    return act


# The demo's stand-ins for MoodleSource's pinned sources (template.yaml's PhpExtensions and
# CodeDeployAgent: pecl.php.net and AWS's CodeDeploy bucket are out of reach here), fixed bytes so
# that their SHA-256s can be pinned as the template pins the real ones.
PINNED_STAND_INS = {
    "/pinned/redis-6.1.0.tgz": b"demo stand-in for redis-6.1.0.tgz\n",
    "/pinned/memcached-3.3.0.tgz": b"demo stand-in for memcached-3.3.0.tgz\n",
    "/pinned/releases/codedeploy-agent-1.8.1-26.noarch.rpm": b"demo stand-in for the CodeDeploy agent\n",
}


def pinned_sources(base):
    """MoodleSource's PhpExtensions and CodeDeployAgent properties, served by the release server."""
    import hashlib
    return {"PhpExtensions": [{"Url": base + p, "Sha256": hashlib.sha256(PINNED_STAND_INS[p]).hexdigest()}
                              for p in ("/pinned/redis-6.1.0.tgz", "/pinned/memcached-3.3.0.tgz")],
            "CodeDeployAgent": {"Url": base + "/pinned/releases/codedeploy-agent-1.8.1-26.noarch.rpm", "Sha256": ""}}


def fake_release(name):
    """A small stand-in for Moodle 4.5.Z's package (moodle-4.5.Z.tgz): the files MoodleSource reads
    from a release (version.php, admin/environment.xml's 4.5 entry, lib/components.json's plugin
    types), with 4.5's own numbers: build 20241007, release increment Z."""
    z = int(m.group(1)) if (m := re.search(r"4\.5\.(\d+)", name)) else 0
    return {
        "version.php": (f"<?php\ndefined('MOODLE_INTERNAL') || die();\n$version  = 20241007{z:02d}.00;\n"
                        f"$release  = '4.5.{z} (Build: 20250811)';\n$branch   = '405';\n"
                        "$maturity = MATURITY_STABLE;\n// " + name + "\n").encode(),
        "admin/environment.xml": (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<COMPATIBILITY_MATRIX>\n  <MOODLE version="4.5" requires="4.1.2">\n'
            '    <DATABASE level="required">\n      <VENDOR name="mariadb" version="10.6.7" />\n'
            '      <VENDOR name="mysql" version="8.0" />\n      <VENDOR name="postgres" version="13" />\n'
            '    </DATABASE>\n    <PHP version="8.1.0" level="required">\n'
            '      <RESTRICT function="restrict_php_version_84" message="unsupportedphpversion84" />\n'
            '    </PHP>\n  </MOODLE>\n</COMPATIBILITY_MATRIX>\n').encode(),
        "lib/components.json": json.dumps({"plugintypes": {"mod": "mod", "block": "blocks", "local": "local"},
                                           "subsystems": {}}).encode(),
    }


class ReleaseServer(http.server.BaseHTTPRequestHandler):
    """Plays download.moodle.org for the demo: a small release archive per path (moodle/ inside);
    and pecl.php.net and AWS's CodeDeploy bucket for the pinned sources (PINNED_STAND_INS)."""

    # Paths served from a real file (a Moodle release, a plugin's ZIP): `scripts/local upgrade`, the demo's plugin.
    files = {}

    def do_GET(self):
        import tarfile
        real = self.files.get(self.path)
        if real is not None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(real.stat().st_size))
            self.end_headers()
            with open(real, "rb") as f:
                shutil.copyfileobj(f, self.wfile)
            return
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, body in fake_release(self.path.strip("/")).items():
                info = tarfile.TarInfo("moodle/" + name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        data = PINNED_STAND_INS.get(self.path, buf.getvalue())
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


_release_server = []


def release_server_port():
    """One release server for the whole demo: the release URL (hence MoodleSource's idempotence
    key) stays the same from one staging to the next."""
    if not _release_server:
        server = http.server.HTTPServer(("127.0.0.1", 0), ReleaseServer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _release_server.append(server)
    return _release_server[0].server_port


def serve_file(path):
    """The local URL of a real file: the release server serves it under its name."""
    path = Path(path).resolve()
    ReleaseServer.files["/" + path.name] = path
    return f"http://127.0.0.1:{release_server_port()}/{path.name}"


def stage_release(request_type, archive, plugins=None):
    """Runs the MoodleSource custom resource as CloudFormation would (its properties from
    template.yaml), with the release served locally; records the staged object version, which the
    converger's environment (RELEASE_VERSION) reads from it. `plugins`: the MoodlePlugins list to
    declare instead of the stack's parameter. Returns the handler's result, CloudFormation's answer
    (its Status), the staged object version and the answer's Reason."""
    translated = json.loads((STATE / "translated.json").read_text())
    s = state()
    resolver = Resolver(dict(s["params"]), {**s.get("names", {}), **physical_names()},
                        translated.get("Conditions"), translated.get("Mappings"))
    props = {k: v for k, v in translated["Resources"]["MoodleSource"]["Properties"].items()
             if k not in ("ServiceToken", "BundleVersion")}
    props = resolver(props)
    props.update(ReleaseUrl=f"http://127.0.0.1:{release_server_port()}/{archive}", BundleVersion="local",
                 **pinned_sources(f"http://127.0.0.1:{release_server_port()}"))
    if plugins is not None:
        props["Plugins"] = json.dumps(plugins) if plugins else ""
    event = {"RequestType": request_type, "ServiceToken": "local", "LogicalResourceId": "MoodleSource",
             "RequestId": str(uuid.uuid4()), "ResourceType": "Custom::MoodleSource", "ResourceProperties": props}
    if request_type == "Update":
        event["PhysicalResourceId"] = f"{STACK}-moodle-source"
        event["OldResourceProperties"] = props
    result, answer = run_custom_resource("MoodleSourceFunction", event, "event-moodle-source.json")
    version = answer.get("Data", {}).get("VersionId")
    if version:
        s = state()
        s.setdefault("names", {})["MoodleSource.VersionId"] = version
        (STATE / "state.json").write_text(json.dumps(s, indent=1))
    return result, answer.get("Status", "none"), version, answer.get("Reason", "")


def run_custom_resource(logical_id, event, file_name):
    """Runs a custom resource's handler as CloudFormation would, with a local receiver playing the
    pre-signed S3 URL it answers through; returns the handler's result and that answer. A function
    that ends without answering (it failed before its handler ran, say) gets what CloudFormation
    gives it: FAILED once the resource's ServiceTimeout is over (not waited for here)."""
    tls = response_tls()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ResponseReceiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    event = dict(event, ResponseURL=f"https://{RESPONSE_HOST}/cfn-response?{SIGNED_QUERY}",
                 StackId=f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/local")
    path = STATE / file_name
    path.write_text(json.dumps(event))
    ResponseReceiver.answers.clear()
    ResponseReceiver.connects.clear()
    jvm = [f"-Djavax.net.ssl.trustStore={tls['truststore']}", f"-Djavax.net.ssl.trustStorePassword={TRUST_PASSWORD}",
           "-Djavax.net.ssl.trustStoreType=PKCS12", "-Dhttps.proxyHost=127.0.0.1",
           f"-Dhttps.proxyPort={server.server_port}"]
    result = {}
    try:
        result, _ = invoke(logical_id, path, quiet=True, jvm_options=jvm)
    except SystemExit as e:
        result = {"outcome": "FUNCTION_ERROR", "message": str(e)}
    finally:
        server.shutdown()
    if ResponseReceiver.answers:
        answer = ResponseReceiver.answers[0]
        if event["RequestType"] == "Create" and answer.get("PhysicalResourceId"):
            # CloudFormation keeps the id a Create answered and sends it with every later request.
            s = state()
            s.setdefault("customIds", {})[event["LogicalResourceId"]] = answer["PhysicalResourceId"]
            (STATE / "state.json").write_text(json.dumps(s, indent=1))
        return result, answer
    timeout = service_timeout(event["LogicalResourceId"])
    return result, {"Status": "FAILED", "Reason": f"no answer from the function: CloudFormation fails the "
                    f"resource after its ServiceTimeout ({timeout} s)"}


def service_timeout(logical_id):
    translated = json.loads((STATE / "translated.json").read_text())
    return translated["Resources"][logical_id]["Properties"].get("ServiceTimeout", 3600)


def stack_hook(event_name):
    event = json.loads((ROOT / "events" / event_name).read_text())
    result, answer = run_custom_resource("LifecycleConvergerFunction", event, "event-" + event_name)
    return result, answer.get("Status", "none")


def custom_resources_in_delete_order(translated):
    """The stack's custom resources in the order CloudFormation deletes them: a resource goes only
    after everything that depends on it (Ref, Fn::GetAtt, ${...} or DependsOn, transitively)."""
    resources = translated["Resources"]

    def direct(node, out):
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in resources:
                out.add(node["Ref"])
            elif set(node) == {"Fn::GetAtt"}:
                target = node["Fn::GetAtt"]
                out.add((target[0] if isinstance(target, list) else target.split(".")[0]))
            elif set(node) == {"Fn::Sub"}:
                text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
                out.update(m for m in re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text) if m in resources)
            for v in node.values():
                direct(v, out)
        elif isinstance(node, list):
            for v in node:
                direct(v, out)
        return out

    deps = {}
    for logical, res in resources.items():
        d = direct(res.get("Properties", {}), set())
        on = res.get("DependsOn", [])
        d.update([on] if isinstance(on, str) else on)
        deps[logical] = d & set(resources)

    def closure(logical, seen):
        for d in deps.get(logical, ()):
            if d not in seen:
                seen.add(d)
                closure(d, seen)
        return seen
    needs = {k: closure(k, set()) for k in resources}
    custom = [k for k, v in resources.items() if v["Type"].startswith("Custom::")]
    order = []
    while len(order) < len(custom):
        # Next: one no remaining custom resource depends on.
        ready = [c for c in custom if c not in order and not any(c in needs[o] for o in custom if o not in order and o != c)]
        order.append(sorted(ready)[0])
    return order


def custom_resource_event(translated, resolver, logical, request_type):
    """The function behind a custom resource (its ServiceToken) and the request CloudFormation sends
    it, with the resource's properties from template.yaml resolved against the local stack."""
    res = translated["Resources"][logical]
    token = res["Properties"]["ServiceToken"]
    function = re.sub(r"Alias[A-Za-z0-9]+$", "", token["Ref"]) if isinstance(token, dict) else token
    props = {}
    for key, value in res["Properties"].items():
        try:
            props[key] = resolver(value)
        except KeyError:
            pass  # a value only the real stack has (a function version)
    event = {"RequestType": request_type, "ServiceToken": "local", "LogicalResourceId": logical,
             "RequestId": str(uuid.uuid4()), "ResourceType": res["Type"], "ResourceProperties": props}
    if request_type != "Create":
        # The id the resource's Create answered (run_custom_resource records it).
        event["PhysicalResourceId"] = state().get("customIds", {}).get(logical, f"{STACK}-{logical}-unknown")
    return function, event


def create_custom_resource(logical):
    """A custom resource's Create, as CloudFormation sends it when it creates the stack."""
    translated = json.loads((STATE / "translated.json").read_text())
    s = state()
    resolver = Resolver(dict(s["params"]), {**s.get("names", {}), **s.get("alarms", {}), **physical_names()},
                        translated.get("Conditions"), translated.get("Mappings"))
    function, event = custom_resource_event(translated, resolver, logical, "Create")
    return run_custom_resource(function, event, f"event-create-{logical}.json")


def delete_stack_step():
    """The stack's delete as CloudFormation runs it: the custom resources' Delete first (through the
    same runner as their Create and Update), then the stack itself. moto's CloudFormation cannot
    delete a bucket that holds any object version (S3 answers BucketNotEmpty, and the bucket stays):
    the versioned buckets go only because EmptyBucketsOnDelete emptied them first."""
    translated = json.loads((STATE / "translated.json").read_text())
    physical = physical_names()
    s = state()
    resolver = Resolver(dict(s["params"]), {**s.get("names", {}), **s.get("alarms", {}), **physical},
                        translated.get("Conditions"), translated.get("Mappings"))
    s3 = client("s3")
    artifacts, source = physical["ArtifactBucket"], physical["SourceBucket"]
    # The pipeline here is a stand-in that writes no artifacts; put what its source action leaves in
    # AWS: two runs' artifacts, one key written twice, one deleted (a delete marker).
    for run, body in ((1, b"release run 1"), (2, b"release run 2"), (2, b"release run 2, retried")):
        s3.put_object(Bucket=artifacts, Key=f"{PIPELINE}/Release/run{run}.zip", Body=body)
    s3.delete_object(Bucket=artifacts, Key=f"{PIPELINE}/Release/run1.zip")

    def versions(bucket):
        page = s3.list_object_versions(Bucket=bucket)
        return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
    held = {b: versions(b) for b in (artifacts, source)}
    try:
        s3.delete_bucket(Bucket=artifacts)
        refused = "S3 deleted it (unexpected)"
    except Exception as e:  # what CloudFormation's own delete of the bucket meets without the emptying
        refused = f"S3 refuses DeleteBucket: {getattr(e, 'response', {}).get('Error', {}).get('Code', e)}"
    lines = [f"artifact bucket {held[artifacts]} version(s) and delete marker(s), source bucket {held[source]}; "
             f"{refused}"]
    ok = True
    for logical in custom_resources_in_delete_order(translated):
        condition = translated["Resources"][logical].get("Condition")
        if condition and not resolver.condition(condition):
            continue  # never created (MailSmtpCredentials without MailDomain): CloudFormation sends it nothing
        function, event = custom_resource_event(translated, resolver, logical, "Delete")
        result, answer = run_custom_resource(function, event, f"event-delete-{logical}.json")
        ok &= answer.get("Status") == "SUCCESS"
        lines.append(f"custom resource {logical} (Delete) -> {result.get('outcome')}, CloudFormation answered "
                     f"{answer.get('Status')}: {answer.get('Reason', '')[:160]}")
    emptied = {b: versions(b) for b in (artifacts, source)}
    vpc = physical.get("Vpc")
    try:
        client("cloudformation").delete_stack(StackName=STACK)
        moto_note = ""
    except Exception as e:
        # moto's CloudFormation has no delete for NAT gateways, route tables, internet gateways and
        # VPC endpoints, and keeps the interfaces of terminated instances: it stops at the VPC.
        # CloudFormation deletes those; what is checked below is the stack's own doing.
        code = getattr(e, "response", {}).get("Error", {}).get("Code", str(e))
        moto_note = f"; moto stopped at the VPC ({code}: its gap, see the code)"
        ok &= code == "DependencyViolation"
    gone = []
    for bucket in (artifacts, source):
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:
            gone.append(bucket)
    ssm = client("ssm")
    left = sorted(p["Name"] for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=f"/Moodle/{STACK}", Recursive=True) for p in page["Parameters"])
    # Nothing of the automation outlives the stack: the InstallDetector's phase record and claims
    # go with the converger's Delete too (docs/architecture.md, Teardown).
    unexpected = left
    ec2 = client("ec2")
    network = ([g["GroupName"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"] if g["GroupName"] != "default"]
        + [n["SubnetId"] for n in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]])
    kept = physical.get("AccessLogBucket")
    try:
        s3.head_bucket(Bucket=kept)
        kept_note = "access log bucket kept (DeletionPolicy Retain)"
    except Exception:
        kept_note = f"access log bucket {kept} gone (expected kept: DeletionPolicy Retain)"
        ok = False
    lines.append(f"after the custom resources: {emptied[artifacts]} + {emptied[source]} versions left; "
                 f"delete_stack: {len(gone)} of 2 versioned buckets deleted{moto_note}; {kept_note}; "
                 f"security groups and subnets left: {network or 'none'}")
    lines.append(f"parameters left under /Moodle/{STACK}: {unexpected or 'none'} (the detector's records "
                 f"included)")
    passed = (ok and len(gone) == 2 and not unexpected and not network
              and emptied == {artifacts: 0, source: 0} and held[artifacts] > 0)
    return passed, "\n          ".join(lines)


# --- the real site, as the demo looks at it --------------------------------------------------

def site_php(*argv):
    """A PHP CLI run on the site as its web user, with the site's PHP configuration (local_site.py)."""
    st = site()
    sitedir = Path(state()["siteDir"])
    env = dict(os.environ, PHP_INI_SCAN_DIR=":" + str(sitedir / "php" / "conf.d"), PGSSLROOTCERT=st["ca"])
    user = ["runuser", "-u", "www-data", "--"] if os.geteuid() == 0 else []
    return subprocess.run(user + ["php", *argv], env=env, capture_output=True, text=True, timeout=120)


def site_installed():
    r = site_php(str(ROOT / "bundle" / "files" / "config" / "install-state.php"), site()["dirroot"])
    return r.stdout.strip() == "installed"


def moodle_cfg(name):
    """A setting as Moodle's own admin/cli/cfg.php reads it (plugin/name for a plugin's)."""
    plugin, _, short = name.rpartition("/")
    dirroot = Path(site()["dirroot"])
    # lib.sh's moodle_cli: admin/cli at the top (Moodle 4.5), else under public/ (5.1).
    cli = next((p for p in (dirroot / "admin" / "cli" / "cfg.php", dirroot / "public" / "admin" / "cli" / "cfg.php")
                if p.is_file()), dirroot / "admin" / "cli" / "cfg.php")
    argv = [str(cli), f"--name={short}"]
    if plugin:
        argv.append(f"--component={plugin}")
    r = site_php(*argv)
    return r.stdout.strip() if r.returncode == 0 else f"(cfg.php exit {r.returncode})"


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def site_sql(query):
    """Rows of a query on Moodle's database over TLS (verify-full), as lists of columns; `{prefix}`
    in the query is the tables' prefix. A string says why psql failed."""
    st = site()
    login = site_login()
    conn = (f"host=127.0.0.1 port={st['postgresPort']} dbname={st['site']['dbname']} user={login['username']} "
            f"sslmode=verify-full sslrootcert={st['ca']}")
    r = subprocess.run(["psql", conn, "-At", "-F", "\t", "-c", query.replace("{prefix}", st["site"]["prefix"])],
                       env=dict(os.environ, PGPASSWORD=login["password"]), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"(psql exit {r.returncode}: {r.stderr.strip()[:200]})"
    return [line.split("\t") for line in r.stdout.splitlines()]


def config_log(names):
    """The names among `names` in Moodle's config changes log (mdl_config_log)."""
    rows = site_sql("SELECT DISTINCT name FROM {prefix}config_log WHERE name IN ("
                    + ",".join(sql_literal(n) for n in names) + ")")
    return [rows] if isinstance(rows, str) else sorted(r[0] for r in rows)


def moodle_user(username):
    """A user as Moodle's user table holds it: {auth, email, firstname, lastname}, or None."""
    rows = site_sql("SELECT auth, email, firstname, lastname FROM {prefix}user WHERE deleted = 0 AND username = "
                    + sql_literal(username))
    if isinstance(rows, str):
        return {"error": rows}
    return dict(zip(("auth", "email", "firstname", "lastname"), rows[0])) if rows else None


def wait_for_document(document, seconds=180, command_id=None):
    """Waits for a Run Command of `document` (the newest, or command_id) to end on the site; its
    status, exit code, duration and last line of output, from GetCommandInvocation (the site's
    stand-in)."""
    ssm = client("ssm")
    deadline = time.monotonic() + seconds
    while True:
        commands = [c for c in ssm.list_commands()["Commands"] if c["DocumentName"] == document
                    and command_id in (None, c["CommandId"])]
        if commands:
            newest = max(commands, key=lambda c: c["RequestedDateTime"])
            inv = ssm.get_command_invocation(CommandId=newest["CommandId"], InstanceId="i-local-site")
            if inv["Status"] not in ("Pending", "InProgress", "Delayed"):
                took = ""
                if inv.get("ExecutionStartDateTime") and inv.get("ExecutionEndDateTime"):
                    took = (f" in {(datetime.fromisoformat(inv['ExecutionEndDateTime'].replace('Z', '+00:00')) - datetime.fromisoformat(inv['ExecutionStartDateTime'].replace('Z', '+00:00'))).total_seconds():.1f} s")
                last = (inv.get("StandardOutputContent") or "").strip().splitlines()[-1:] or ["(no output)"]
                return f"{document}: {inv['Status']} (exit {inv['ResponseCode']}){took}; last line: {last[0][:300]}"
        if time.monotonic() > deadline:
            return f"{document}: not ended after {seconds} s"
        time.sleep(0.5)


def document_output(document):
    """The newest Run Command of `document` on the site, from GetCommandInvocation: its full output,
    the settings apply-moodle-config.sh changed (its result line names them, never a value), and a
    summary of both."""
    ssm = client("ssm")
    commands = [c for c in ssm.list_commands()["Commands"] if c["DocumentName"] == document]
    if not commands:
        return {"summary": f"no command of {document}", "output": "", "changed": []}
    newest = max(commands, key=lambda c: c["RequestedDateTime"])
    inv = ssm.get_command_invocation(CommandId=newest["CommandId"], InstanceId="i-local-site")
    output = inv.get("StandardOutputContent") or ""
    try:
        result = json.loads(output.strip().splitlines()[-1])
        changed = [f"{c['plugin']}/{c['name']}" if c.get("plugin") else c["name"]
                   for c in result["settings"]["changed"]]
    except (ValueError, IndexError, KeyError, TypeError):
        changed = None
    summary = (f"{document} {inv['Status']} (exit {inv['ResponseCode']}); "
               + (f"{len(changed)} settings changed: {', '.join(changed)}" if changed is not None else "no result line"))
    return {"summary": summary, "output": output, "changed": changed or []}


def all_document_output(document):
    """The output of every Run Command of `document` on the site, together (to search it)."""
    ssm = client("ssm")
    out = []
    for c in ssm.list_commands()["Commands"]:
        if c["DocumentName"] == document:
            inv = ssm.get_command_invocation(CommandId=c["CommandId"], InstanceId="i-local-site")
            out.append((inv.get("StandardOutputContent") or "") + (inv.get("StandardErrorContent") or ""))
    return "\n".join(out)


def site_logs():
    """The site's autopilot log and the gateway's log (which runs Run Command on the site)."""
    text = []
    for path in (Path(state()["siteDir"]) / "log" / "autopilot.log", STATE / "gateway.log"):
        try:
            text.append(path.read_text(errors="replace"))
        except OSError:
            pass
    return "\n".join(text)


def urlpath(url):
    from urllib.parse import urlsplit
    return urlsplit(url).path or "/"


Login = collections.namedtuple("Login", "sid landed page dashboard")


def site_login_over_http(username="admin", password=None):
    """Signs in the way a browser does: the login form's token and cookie, the POST (its redirects
    followed), then /my/. Without a password, the admin's. The session id, the URL the POST landed
    on and its page, and whether /my/ then served the dashboard."""
    browser = local_mail.Browser(site()["url"])
    token = re.search(r'name="logintoken" value="([^"]+)"', browser.get("/login/index.php"))
    if password is None:
        password = json.loads((Path(state()["siteDir"]) / "admin-secret.json").read_text())["password"]
    page = browser.post("/login/index.php", {"username": username, "password": password,
                                              "logintoken": token.group(1) if token else ""})
    landed = browser.last_url
    body = browser.get("/my/")
    dashboard = browser.last_url.rstrip("/").endswith("/my") and 'id="login"' not in body
    return Login(browser.cookie("MoodleSession"), landed, page, dashboard)


def redis_session_key(sid):
    """The session's key in the sessions Redis (TLS, verified against the site's CA), or None."""
    if not sid:
        return None
    st = site()
    r = subprocess.run(["redis-cli", "--tls", "--cacert", st["ca"], "-h", "localhost", "-p",
                        str(st["redisSessionsPort"]), "--scan", "--pattern", f"*{sid}*"],
                       capture_output=True, text=True, timeout=30)
    keys = r.stdout.split()
    return keys[0] if r.returncode == 0 and keys else None


MUC_APPLICATION_STORE = r"""
define('CLI_SCRIPT', true);
require($argv[1] . '/config.php');
$config = cache_config::instance();
foreach ($config->get_mode_mappings() as $mapping) {
    if ((int)$mapping['mode'] === cache_store::MODE_APPLICATION) {
        $store = $config->get_all_stores()[$mapping['store']];
        echo $mapping['store'], ' (', $store['plugin'], ' ', $store['configuration']['server'] ?? '-', ")\n";
        break;
    }
}
"""


def muc_application_store():
    """The store Moodle's own MUC configuration maps the application mode to (cache_config)."""
    r = site_php("-r", MUC_APPLICATION_STORE, site()["dirroot"])
    return r.stdout.strip() if r.returncode == 0 else f"(php exit {r.returncode}: {r.stderr.strip()[:200]})"


def demo(keep=False):
    failures = []
    t0 = time.monotonic()

    def step(title, action, expect=None):
        start = time.monotonic()
        detail = action()
        took = time.monotonic() - start
        snap = snapshot()
        ok = expect(snap) if expect else True
        if not ok:
            failures.append(title)
        status = snap["status"] or {}
        print(f"[{time.monotonic() - t0:6.1f}s] {title} ({took * 1000:.0f} ms){'' if ok else '  << UNEXPECTED'}")
        if detail:
            print(f"          {detail}")
        print(f"          web group {snap['group']} (min/max/desired), scaling alarms {snap['alarms']}, "
              f"flag {snap['flag']!r}, sessions {snap['session']}, status {status.get('phase')} "
              f"v{status.get('flagVersion')}, detector schedule {snap['detector']}")
        return snap

    flag = f"/Moodle/{STACK}/IsMoodleSetupCompleted"
    print(f"Lifecycle of stack '{STACK}' in the local emulator")
    snapstart = ", ".join(state().get("snapStart", [])) or "none"
    print("Every function runs as Lambda runs it: Lambda's runtime interface emulator and Java runtime client, "
          f"the deployed package; SnapStart (container credentials only): {snapstart}\n")
    step("stack deployed: install mode as the template creates it", lambda: None,
         lambda s: s["group"] == "1/1/1" and s["alarms"] == "off")

    def empty_on_delete():
        result, answer = create_custom_resource("EmptyBucketsOnDelete")
        return (f"custom resource EmptyBucketsOnDelete (Create) -> {result.get('outcome')}, CloudFormation answered "
                f"{answer.get('Status')}: {answer.get('Reason', '')}")
    step("the versioned buckets will be emptied when the stack is deleted (custom resource)", empty_on_delete,
         lambda s: state().get("customIds", {}).get("EmptyBucketsOnDelete"))

    def stage(request_type, archive):
        def act():
            result, answer, version, _ = stage_release(request_type, archive)
            staged = client("s3").list_object_versions(Bucket=physical_names()["SourceBucket"],
                                                      Prefix="moodle/release.zip").get("Versions", [])
            return (f"custom resource MoodleSource ({request_type}, {archive}) -> {result.get('outcome')}, "
                    f"CloudFormation answered {answer}; s3://.../moodle/release.zip version {version} "
                    f"({len(staged)} version(s) staged)")
        return act
    step("release staged for the pipeline and the first instance (custom resource)",
         stage("Create", "moodle-4.5.7.tgz"), lambda s: state().get("names", {}).get("MoodleSource.VersionId"))

    def create_hook():
        result, answer = stack_hook("stack-create.json")
        return f"custom resource LifecycleConvergence (Create) -> {result['outcome']}, CloudFormation answered {answer}"
    step("stack create converges (custom resource)", create_hook,
         lambda s: s["status"] and s["status"]["phase"] == "INSTALL")

    def deliver(value):
        def act():
            version = client("ssm").put_parameter(Name=flag, Value=value, Type="String", Overwrite=True)["Version"]
            event = parameter_store_change(flag, "Update")
            path = STATE / "event-parameter-store-change.json"
            path.write_text(json.dumps(event))
            routes = route(event)
            if not routes:
                raise SystemExit("no rule of the stack matched the Parameter Store Change event")
            out = []
            for rule, logical in routes:
                result, _ = invoke(logical, path, quiet=True)
                out.append(f"rule {rule} -> {logical}: {result['outcome']}; "
                           + ("; ".join(result.get("actions", [])) or result.get("message", "")))
            return f"flag set to {value!r} (version {version}); " + " | ".join(out)
        return act

    cpu_high = f"{STACK}-web-cpu-high"
    step("CPU spike while Moodle installs: the AlarmReactor suppresses it",
         deliver_alarm(cpu_high, "ALARM", "installer busy"), lambda s: s["group"] == "1/1/1")
    deliver_alarm(cpu_high, "OK", "installer done")()

    def watch_install():
        """The template's default install mode (Wizard): the operator finishes Moodle's web
        installer at the site URL, here scripts/web_installer.py over HTTP as a browser does, while
        the InstallDetector runs as its minute schedule would, back to back here. (The Unattended
        install, the bootstrap's scripts/unattended-install.sh, runs in UnattendedInstallSiteTest.)"""
        st = site()
        out = open(STATE / "site-install.out", "w")
        installer = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "web_installer.py"), st["url"],
                                      "--admin-password-file", str(Path(state()["siteDir"]) / "admin-secret.json"),
                                      "--email", st["site"]["admin_email"], "--fullname", st["site"]["site_fullname"],
                                      "--shortname", st["site"]["site_shortname"]],
                                     stdout=out, stderr=subprocess.STDOUT)
        started = time.monotonic()
        lines, seen, exited = [], None, None
        try:
            while True:
                before = client("ssm").get_parameter(Name=flag)["Parameter"]["Version"]
                result, _ = invoke("InstallDetectorFunction", ROOT / "events" / "scheduled-install-detector.json",
                                   quiet=True)
                now = time.monotonic() - started
                if exited is None and installer.poll() is not None:
                    exited = now
                    lines.append(f"{now:5.1f} s  the installer exited ({installer.returncode})")
                if (result.get("phase"), result.get("outcome")) != seen:
                    seen = (result.get("phase"), result.get("outcome"))
                    lines.append(f"{now:5.1f} s  detector: {seen[0]}"
                                 + (" (settling: the flag waits until the site has been complete for 30 s)"
                                    if seen[1] == "SETTLING" else ""))
                after = client("ssm").get_parameter(Name=flag)["Parameter"]["Version"]
                if after != before:
                    lines.append(f"{now:5.1f} s  detector set the flag to Yes (version {after})")
                    event = parameter_store_change(flag, "Update")
                    path = STATE / "event-parameter-store-change.json"
                    path.write_text(json.dumps(event))
                    for rule, logical in route(event):
                        conv, _ = invoke(logical, path, quiet=True)
                        lines.append(f"{time.monotonic() - started:5.1f} s  rule {rule} -> {logical}: "
                                     f"{conv['outcome']}; " + "; ".join(conv.get("actions", [])))
                    break
                if (exited is not None and now - exited > 60) or now > 900:
                    lines.append(f"{now:5.1f} s  gave up: the detector never saw the site complete")
                    break
                time.sleep(1)
            installer.wait(timeout=600)
        finally:
            if installer.poll() is None:
                installer.kill()
            out.close()
        report = (STATE / "site-install.out").read_text().strip().splitlines()
        lines.append("the web installer, page by page (scripts/web_installer.py):")
        lines.extend("  " + line.strip() for line in report[:-1])
        lines.append(f"installer: {report[-1] if report else '(no output)'}")
        return "\n          ".join(lines)

    step("Moodle installs for real: its web installer finished over HTTP (install mode Wizard); the detector "
         "watches it and sets the flag; the rule routes the change to the converger", watch_install,
         lambda s: s["flag"] == "Yes" and s["group"] == "2/4/2" and s["alarms"] == "on"
         and s["status"]["phase"] == "PRODUCTION" and s["status"]["pipelineExecutionId"]
         and s["detector"] == "disabled" and site_installed())

    checks = {}

    def rendered():
        # On AWS the deployment the converger just started renders config.php on every instance
        # (AfterInstall: install-release.sh) and reloads PHP-FPM (ApplicationStart: start.sh). The
        # pipeline's stand-in deploys nothing, so the stack's render-config document (the same two
        # scripts) goes to the web group through Run Command, which runs it on the site.
        command = client("ssm").send_command(
            DocumentName=f"{STACK}-render-config",
            Targets=[{"Key": "tag:aws:autoscaling:groupName", "Values": [f"{STACK}-web"]}])["Command"]["CommandId"]
        ran = wait_for_document(f"{STACK}-render-config", command_id=command)
        config = (Path(site()["dirroot"]) / "config.php").read_text()
        # var_export doubles each backslash of \core\session\redis in the PHP source.
        checks["redisSessions"] = bool(re.search(r"session_handler_class\s*=\s*'(\\)+core(\\)+session(\\)+redis'", config)) \
            and "session_redis_encrypt" in config
        return (f"Run Command {ran}; config.php now has session_handler_class "
                + ("\\core\\session\\redis with TLS (peer verified)" if checks["redisSessions"] else "NOT redis"))
    step("the deployment's hooks render config.php with the published Redis sessions and reload PHP-FPM "
         "(the render-config document through Run Command, on the site)",
         rendered, lambda s: checks.get("redisSessions"))

    def logged_in():
        login = site_login_over_http()
        key = redis_session_key(login.sid)
        checks["session"] = login.dashboard and key is not None
        return (f"admin logged in over HTTP ({'dashboard /my/ served' if login.dashboard else 'NO dashboard'}); "
                f"Redis (sessions, TLS) holds {key or 'NO key for this session'}")
    step("a real login: the session lives in Redis", logged_in, lambda s: checks.get("session"))

    def cache_mapped():
        ran = wait_for_document(f"{STACK}-moodle-config")
        store = muc_application_store()
        checks["muc"] = "(redis localhost:" in store
        return f"Run Command {ran}; Moodle's MUC configuration maps the application mode to {store or 'nothing'}"
    step("the application cache is mapped on the real site (moodle-config: configure-muc.php)", cache_mapped,
         lambda s: checks.get("muc") and s["status"].get("moodleConfigAppliedFor"))
    execution = snapshot()["status"]["pipelineExecutionId"]
    first_settings = snapshot()["status"].get("moodleConfigAppliedFor")

    def replay():
        path = STATE / "event-parameter-store-change.json"
        result, _ = invoke("LifecycleConvergerFunction", path, quiet=True)
        return f"same event delivered again -> {result['outcome']} ({result['message']})"
    step("replay of the same event is a no-op", replay,
         lambda s: s["group"] == "2/4/2" and s["status"]["pipelineExecutionId"] == execution)

    settings = f"/Moodle/{STACK}/Site/Settings"

    def edit_settings(update, event_file):
        """The operator's edit of the settings document, and the Parameter Store change event it
        raises, routed by the stack's rules (the converger applies it through Run Command)."""
        current = json.loads(client("ssm").get_parameter(Name=settings)["Parameter"]["Value"])
        current.update(update)
        client("ssm").put_parameter(Name=settings, Value=json.dumps(current), Type="String", Overwrite=True)
        event = parameter_store_change(settings, "Update")
        path = STATE / event_file
        path.write_text(json.dumps(event))
        out = []
        for rule, logical in route(event):
            result, _ = invoke(logical, path, quiet=True)
            out.append(f"rule {rule} -> {logical}: {result['outcome']}; " + "; ".join(result.get("actions", [])))
        return " | ".join(out) or "no rule matched"

    def change_settings():
        wanted = {"forcelogin": "1", "auth_ldap/host_url": directory()["url"]}
        routed = edit_settings(wanted, "event-moodle-settings-change.json")
        values = {n: moodle_cfg(n) for n in wanted}
        logged = config_log(["forcelogin", "host_url"])
        checks["settings"] = values == wanted and {"forcelogin", "host_url"} <= set(logged)
        return ("operator edited the Moodle settings document; " + routed
                + f"\n          Moodle (admin/cli/cfg.php): {values}; config changes log: {logged}")
    step("the operator changes Moodle's settings: the change event applies them through Run Command on one instance",
         change_settings, lambda s: s["status"]["moodleConfigAppliedFor"] not in (None, first_settings)
         and checks.get("settings"))

    def ldap_sign_in():
        d = directory()
        seeded = {n: moodle_cfg(n) for n in ("auth", "auth_ldap/host_url", "auth_ldap/start_tls", "auth_ldap/bind_dn",
                                             "auth_ldap/contexts")}
        logged = config_log(["auth", "bind_pw"])
        user, other = d["users"][0], d["users"][1]
        signed_in = site_login_over_http(user["uid"], directory_password(user["passwordFile"]))
        row = moodle_user(user["uid"])
        # Another user with her password: refused by the directory, so Moodle shows its form again.
        refused = site_login_over_http(other["uid"], directory_password(user["passwordFile"]))
        outputs = all_document_output(f"{STACK}-moodle-config")
        lines = ["the stack's LDAP parameters (LdapHost, LdapPort, LdapSecurity starttls, LdapBindDn, LdapBindSecretArn, "
                 "LdapContexts) became Moodle's settings through the converger when the site entered production: "
                 f"{seeded}; config changes log: {logged} (bind_pw read from the secret on the instance)",
                 f"{user['uid']} (directory password) over HTTP: landed on {urlpath(signed_in.landed)}, "
                 f"{'dashboard /my/ served' if signed_in.dashboard else 'NO dashboard'}; Moodle's user table: {row}",
                 f"{other['uid']} with {user['uid']}'s password: landed on {urlpath(refused.landed)}, "
                 + ("'Invalid login' shown" if "Invalid login" in refused.page else "NO 'Invalid login'")
                 + (", /my/ refused" if not refused.dashboard else ", /my/ SERVED")]
        bind = directory_password(d["bindPasswordFile"])
        seen = "\n".join(lines) + outputs + signed_in.page + refused.page + site_logs()
        lines.append("the bind password in this output, the Run Commands' output, the pages and the site's and "
                     "gateway's logs: " + ("FOUND" if bind in seen else "nowhere"))
        checks["ldap"] = (seeded["auth"] == "ldap" and seeded["auth_ldap/host_url"] == d["url"]
                          and seeded["auth_ldap/start_tls"] == "1" and seeded["auth_ldap/bind_dn"] == d["bindDn"]
                          and {"auth", "bind_pw"} <= set(logged)
                          and signed_in.dashboard and urlpath(signed_in.landed) == "/my/"
                          and row == {"auth": "ldap", "email": user["mail"], "firstname": user["givenName"],
                                      "lastname": user["sn"]}
                          and not refused.dashboard and "Invalid login" in refused.page and bind not in seen)
        return "\n          ".join(lines)
    step("LDAP sign-in, set up by the stack's parameters: a directory user signs in over HTTP and is created on that "
         "first login, a wrong password is refused", ldap_sign_in, lambda s: checks.get("ldap"))

    before_mail = snapshot()["status"].get("moodleConfigAppliedFor")

    def mail_delivered():
        """SES's SMTP interface is scripts/mail_relay.py here (STARTTLS before AUTH, AUTH before MAIL,
        one user), with a certificate from the site's CA. The local stack has no MailDomain (SES
        verifies a domain through DNS), so what the stack's parameters give on AWS is given the way an
        operator would without them: the SMTP password in a secret named by the site configuration
        (smtp_secret_arn), read by apply-moodle-config.sh on the instance, and the SMTP settings in the
        settings document. The directory user who has just signed in asks for a new password; auth_ldap
        keeps no local password, so Moodle mails her its password-change information. (Not the admin:
        Moodle never mails a .invalid address, and hers is admin@example.invalid.)"""
        user = "AKIA" + uuid.uuid4().hex[:16].upper()  # the shape of an SES SMTP user name
        password = "Smtp-" + uuid.uuid4().hex  # never printed
        noreply = "noreply@mail.example.edu"
        spool = STATE / "mail-spool"
        shutil.rmtree(spool, ignore_errors=True)
        relay = local_mail.start_relay(state()["siteDir"], spool, user, password)
        try:
            arn = client("secretsmanager").create_secret(
                Name=f"/Moodle/{STACK}/Smtp", SecretString=local_mail.smtp_secret(user, password))["ARN"]
            ssm = client("ssm")
            name = f"/Moodle/{STACK}/Site/Config"
            published = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
            published["smtp_secret_arn"] = arn
            ssm.put_parameter(Name=name, Value=json.dumps(published), Type="String", Overwrite=True)
            routed = edit_settings(local_mail.smtp_settings(relay.port, noreply, user), "event-mail-settings-change.json")
            wait_for_document(f"{STACK}-moodle-config")
            applied = document_output(f"{STACK}-moodle-config")
            person = directory()["users"][0]
            page = local_mail.request_password_reset(site()["url"], person["uid"])
            messages = local_mail.received(spool, timeout=30)
        finally:
            relay.stop()
        lines = [f"relay (SES's SMTP interface) on 127.0.0.1:{relay.port}, certificate from the site's CA; SMTP "
                 f"password in Secrets Manager ({arn.split(':')[-1]}), named by the site configuration's "
                 f"smtp_secret_arn; settings document: smtphosts 127.0.0.1:{relay.port}, smtpsecure tls, "
                 f"smtpauthtype LOGIN, smtpuser, noreplyaddress {noreply}; {routed}",
                 f"Run Command: {applied['summary']}",
                 f"{person['uid']} asked for a new password over HTTP (/login/forgot_password.php): Moodle answered "
                 f"'{local_mail.reset_outcome(page)}'"]
        lines += [local_mail.describe(m) for m in messages] or ["the relay received NOTHING"]
        seen = "\n".join(lines) + applied["output"] + page + site_logs() + relay.log_text() \
            + "".join(m["body"] for m in messages)
        lines.append("the SMTP password in this output, the Run Command's output, the page, the message, the site's, "
                     "gateway's and relay's logs: " + ("FOUND" if password in seen else "nowhere"))
        checks["mail"] = (len(messages) == 1 and messages[0]["tls"] and messages[0]["auth_user"] == user
                          and messages[0]["mail_from"] == noreply and messages[0]["rcpt_tos"] == [person["mail"]]
                          and (messages[0]["subject"] or "").endswith(": Change password information")
                          and "smtppass" in applied["changed"] and local_mail.reset_outcome(page) == "maybe sent"
                          and password not in seen)
        return "\n          ".join(lines)
    step("e-mail through SES's SMTP interface: the SMTP secret and settings reach Moodle through the converger; "
         "the LDAP user's password request is delivered over TLS, authenticated, from the no-reply address",
         mail_delivered, lambda s: s["status"]["moodleConfigAppliedFor"] not in (None, before_mail)
         and checks.get("mail"))

    def at_capacity():
        client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=STACK + "-web", DesiredCapacity=4)
    step("at capacity in production: the reactor raises the maximum one step (ceiling 6) and notifies",
         deliver_alarm(cpu_high, "ALARM", "Threshold Crossed: 3 datapoints were greater than 75.0", at_capacity),
         lambda s: s["group"] == "2/5/4")

    def back_inside():
        client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=STACK + "-web", DesiredCapacity=3)
    step("CPU back to OK inside the configured maximum: maximum restored, resolution sent",
         deliver_alarm(cpu_high, "OK", "Threshold Crossed: 3 datapoints were not greater than 75.0", back_inside),
         lambda s: s["group"] == "2/4/3")

    def update_hook():
        client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=STACK + "-web", MinSize=1, MaxSize=1,
                                                        DesiredCapacity=1)
        result, answer = stack_hook("stack-update.json")
        return (f"stack update reset the group to 1/1/1; custom resource (Update) -> {result['outcome']}, "
                f"CloudFormation answered {answer}")
    step("a stack update never leaves production at 1/1/1", update_hook,
         lambda s: s["group"].startswith("2/4/"))

    first_release = state()["names"]["MoodleSource.VersionId"]
    step("an unchanged release deployed again stages nothing", stage("Update", "moodle-4.5.7.tgz"),
         lambda s: state()["names"]["MoodleSource.VersionId"] == first_release
         and s["status"]["pipelineExecutionId"] == execution)
    step("upgrade: the operator changes the release; MoodleSource stages a new version",
         stage("Update", "moodle-4.5.8.tgz"),
         lambda s: state()["names"]["MoodleSource.VersionId"] != first_release)

    def upgrade_hook():
        result, answer = stack_hook("stack-update.json")
        return (f"stack update -> custom resource LifecycleConvergence (Update) -> {result['outcome']}; "
                + "; ".join(result.get("actions", [])))
    step("the stack update converges: one pipeline execution deploys the new release", upgrade_hook,
         lambda s: s["status"]["pipelineExecutionId"] != execution
         and s["status"].get("releaseVersion") == state()["names"]["MoodleSource.VersionId"])

    # A plugin through the whole path, on the real release: declared, staged with it, deployed by the
    # pipeline (the site's CodeDeploy agent stand-in runs the revision's hooks), installed, then its
    # next version upgraded, by upgrade-moodle.sh under Moodle's maintenance mode.
    real_release = Path(subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "local_site.py"), "release"], capture_output=True, text=True,
        env=dict(os.environ, AUTOPILOT_SITE_DIR=state()["siteDir"]), check=True).stdout.strip())

    def plugin_release(version):
        def act():
            lines = []
            checks["plugin"] = upgrade(real_release, [demo_plugin(version)], say=lines.append)
            return "\n          ".join(lines)
        return act

    step(f"a plugin arrives: {DEMO_PLUGIN} declared in MoodlePlugins, staged with the release, deployed, "
         "installed by Moodle's upgrade under maintenance mode", plugin_release(2025010100),
         lambda s: checks.get("plugin") and demo_plugin_config("version") == "2025010100"
         and demo_plugin_config("installruns") == "1")
    step(f"its next version: deployed, its upgrade step runs once, the site back in production",
         plugin_release(2025010101),
         lambda s: checks.get("plugin") and demo_plugin_config("version") == "2025010101"
         and demo_plugin_config("upgraderuns") == "1" and demo_plugin_config("installruns") == "1")

    step("back to install mode: flag set to No", deliver("No"),
         lambda s: s["group"] == "1/1/1" and s["alarms"] == "off" and s["status"]["phase"] == "INSTALL"
         and s["detector"] == "enabled")

    if keep:
        # Left in production, where a new release or plugin set is deployed (scripts/local upgrade).
        step("left running (--keep): flag set to Yes, back in production", deliver("Yes"),
             lambda s: s["group"].startswith("2/4/") and s["status"]["phase"] == "PRODUCTION")
        print()
        if failures:
            print("demo FAILED at: " + "; ".join(failures))
            sys.exit(1)
        print(f"demo passed in {time.monotonic() - t0:.1f} s; the stack and the site are left running (--keep): "
              f"{site()['url']} (admin; password in {Path(state()['siteDir']) / 'admin-secret.json'})")
        return
    start = time.monotonic()
    deleted, detail = delete_stack_step()
    if not deleted:
        failures.append("stack delete")
    print(f"[{time.monotonic() - t0:6.1f}s] stack deleted: the custom resources' Delete first, then the stack "
          f"({(time.monotonic() - start) * 1000:.0f} ms){'' if deleted else '  << UNEXPECTED'}")
    print(f"          {detail}")

    print()
    if failures:
        print("demo FAILED at: " + "; ".join(failures))
        sys.exit(1)
    print(f"demo passed in {time.monotonic() - t0:.1f} s: release staged -> real Moodle installed, detected -> flag set "
          "-> production -> Redis sessions, a real login in Redis, the application cache mapped, settings in Moodle's log, "
          "an LDAP user signed in, a message delivered -> replay no-op -> at capacity raised and restored -> upgrade deployed -> 1/1/1 "
          "-> stack deleted (buckets emptied first; left only what the docs keep)")


def deploy_staged():
    """The pipeline's deployment of the staged source object on the local site: the object
    CodePipeline's S3 source would take (the current version of moodle/release.zip), unpacked as
    CodeDeploy's agent unpacks a revision, and its appspec hooks run by local_site.py's agent
    stand-in. Returns (succeeded, seconds, what the site served meanwhile, the agent's output)."""
    bucket = physical_names()["SourceBucket"]
    obj = client("s3").get_object(Bucket=bucket, Key="moodle/release.zip")
    work = STATE / "deployments" / obj["VersionId"][:24]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with open(work / "revision.zip", "wb") as f:
        shutil.copyfileobj(obj["Body"], f)
    with zipfile.ZipFile(work / "revision.zip") as z:
        z.extractall(work / "revision")
    (work / "revision.zip").unlink()
    served = collections.Counter()
    done = threading.Event()

    def watch():
        # A user on the site meanwhile: the login page, every 200 ms.
        import urllib.error
        import urllib.request
        url = site()["url"] + "/login/index.php"
        while not done.is_set():
            try:
                with urllib.request.urlopen(urllib.request.Request(url), timeout=30) as r:
                    served[r.status] += 1
            except urllib.error.HTTPError as e:
                served[e.code] += 1
            except OSError:
                served["no answer"] += 1
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    env = dict(os.environ, STACK_NAME=STACK, AWS_ENDPOINT_URL=state()["gateway"], AUTOPILOT_SITE_DIR=state()["siteDir"])
    started = time.monotonic()
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "local_site.py"), "deploy", "--revision",
                        str(work / "revision")], env=env, capture_output=True, text=True, timeout=3600)
    took = time.monotonic() - started
    done.set()
    watcher.join()
    shutil.rmtree(work, ignore_errors=True)
    return r.returncode == 0, took, dict(served), (r.stdout + r.stderr).strip()


DEMO_PLUGIN = "local_autopilotdemo"


def demo_plugin(version):
    """The demo's add-on plugin at VERSION, as moodle.org ships one (a ZIP with one top directory):
    an install step and an upgrade step that count their runs in Moodle's config_plugins. Served by
    the release server; returns its MoodlePlugins declaration."""
    import hashlib
    path = STATE / "plugins" / f"{DEMO_PLUGIN}-{version}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    count = ("set_config('{0}', (int) get_config('local_autopilotdemo', '{0}') + 1, 'local_autopilotdemo');")
    files = {
        "version.php": ("<?php\ndefined('MOODLE_INTERNAL') || die();\n$plugin->component = 'local_autopilotdemo';\n"
                        f"$plugin->version = {version};\n$plugin->requires = 2024100700;\n"),
        "lang/en/local_autopilotdemo.php": "<?php\n$string['pluginname'] = 'Autopilot demo plugin';\n",
        "db/install.php": ("<?php\nfunction xmldb_local_autopilotdemo_install() {\n    "
                           + count.format("installruns") + "\n    return true;\n}\n"),
        "db/upgrade.php": ("<?php\nfunction xmldb_local_autopilotdemo_upgrade($oldversion) {\n"
                           f"    if ($oldversion < {version}) {{\n        " + count.format("upgraderuns")
                           + f"\n        upgrade_plugin_savepoint(true, {version}, 'local', 'autopilotdemo');\n    }}\n"
                           "    return true;\n}\n"),
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr("autopilotdemo/" + name, text)
    return {"component": DEMO_PLUGIN, "url": serve_file(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def demo_plugin_config(name):
    rows = site_sql("SELECT value FROM {prefix}config_plugins WHERE plugin = " + sql_literal(DEMO_PLUGIN)
                    + " AND name = " + sql_literal(name))
    return rows[0][0] if isinstance(rows, list) and rows else None


def upgrade_record():
    try:
        return json.loads(client("ssm").get_parameter(Name=f"/Moodle/{STACK}/Automation/Upgrade")["Parameter"]["Value"])
    except client("ssm").exceptions.ParameterNotFound:
        return {}


def in_production():
    """Moodle serves its pages: no maintenance page, the login page answers, no upgrade pending."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(site()["url"] + "/login/index.php", timeout=30) as r:
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    maintenance = (Path(site()["site"]["dataroot"]) / "climaintenance.html").exists()
    return code in (200, 303) and not maintenance, code, maintenance


def release_of(archive):
    """$release of a Moodle archive's version.php (moodle/ or moodle/public/), as the site will report it."""
    import tarfile
    names = ("moodle/version.php", "moodle/public/version.php")
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            text = next(z.read(n).decode() for n in reversed(names) if n in z.namelist())
    else:
        with tarfile.open(archive) as t:
            member = next(m for m in t if m.name.lstrip("./") in names)
            text = t.extractfile(member).read().decode()
    return re.search(r"\$release\s*=\s*'([^']+)'", text).group(1)


def upgrade(archive, plugins=None, say=print):
    """The hands-free path for one release (and plugin set): MoodleSource stages it (the stack
    update's custom resource), the stack update converges (one pipeline execution), the pipeline
    deploys it (the local site's CodeDeploy agent stand-in: install-release.sh, start.sh,
    upgrade-moodle.sh, validate.sh). True only when the site serves that release in production."""
    t0 = time.monotonic()
    name = Path(serve_file(archive)).name
    result, answer, version, reason = stage_release("Update", name, plugins)
    say(f"[{time.monotonic() - t0:6.1f}s] MoodleSource (Update, {name}) -> {result.get('outcome')}, "
        f"CloudFormation answered {answer}{': ' + reason if reason else ''}")
    if answer != "SUCCESS":
        say("          the stack update fails here: nothing is deployed")
        return False
    before = (snapshot()["status"] or {}).get("pipelineExecutionId")
    result, answer = stack_hook("stack-update.json")
    say(f"[{time.monotonic() - t0:6.1f}s] LifecycleConvergence (Update) -> {result.get('outcome')}: "
        + ("; ".join(result.get("actions", [])) or result.get("message", "")))
    status = snapshot()["status"] or {}
    if status.get("phase") != "PRODUCTION":
        say(f"          the stack is in install mode (flag No, phase {status.get('phase')}): the converger deploys "
            "nothing, new instances bootstrap from the newest object; set the flag to Yes first")
        return False
    ok = True
    if status.get("releaseVersion") == version and status.get("pipelineExecutionId") not in (None, before):
        ok, took, served, output = deploy_staged()
        say(f"[{time.monotonic() - t0:6.1f}s] the pipeline's deployment on the site (CodeDeploy agent stand-in) "
            f"{'succeeded' if ok else 'FAILED'} in {took:.1f} s; the site served meanwhile {served} (status: requests)")
        for line in output.splitlines():
            say("          " + line.strip())
    else:
        say("          no new pipeline execution: this release and plugin set were deployed before")
    record = upgrade_record()
    production, code, maintenance = in_production()
    db_release = site_sql("SELECT value FROM {prefix}config WHERE name = 'release'")
    db_release = db_release[0][0] if isinstance(db_release, list) and db_release else str(db_release)
    wanted = release_of(Path(archive))
    say(f"[{time.monotonic() - t0:6.1f}s] upgrade record {record.get('state')} ({record.get('seconds')} s"
        f"{', ' + record['reason'] if record.get('reason') else ''}); database release {db_release!r}; "
        f"login page {code}; maintenance {'on' if maintenance else 'off'}")
    return ok and production and db_release == wanted


def upgrade_cmd(archive):
    path = Path(archive)
    if not path.is_file() or not (path.name.endswith(".tgz") or path.name.endswith(".zip")):
        sys.exit(f"usage: scripts/local upgrade <release.tgz|release.zip> ({archive} is not one)")
    if not site_installed():
        sys.exit("error: the local site has no installed Moodle yet: run `scripts/local demo --keep` first")
    print(f"Upgrade of stack '{STACK}' to {path.name}: stage, converge, deploy, upgrade, production")
    if upgrade(path):
        print(f"upgraded: the site serves {release_of(path)} in production")
        return
    sys.exit(f"upgrade to {path.name} did not reach production (the lines above say where it stopped)")


def status_cmd():
    print(json.dumps(snapshot(), indent=2))


def down_endpoint():
    """moto's or the gateway's URL when it does not answer HTTP at all, else None. Any HTTP answer,
    an error status included, means it is up (the gateway answers 500 when moto is down, so moto is
    asked directly)."""
    import urllib.error
    import urllib.request
    s = state()
    for key in ("moto", "gateway"):
        url = s.get(key)
        if not url:
            continue
        try:
            urllib.request.urlopen(url, timeout=3).close()
        except urllib.error.HTTPError:
            pass
        except (OSError, ValueError):
            return url
    return None


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "deploy":
        deploy()
    elif cmd == "invoke" and len(sys.argv) == 4:
        invoke(sys.argv[2], Path(sys.argv[3]).resolve())
    elif cmd == "demo":
        demo(keep="--keep" in sys.argv[2:])
    elif cmd == "status":
        status_cmd()
    elif cmd == "upgrade" and len(sys.argv) == 3:
        upgrade_cmd(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # not a BotoCoreError: the gateway's 500 page is no XML
    try:
        main()
    except FileNotFoundError as e:
        if Path(e.filename or "").parent != STATE:
            raise
        sys.exit(f"error: the local stack is not up (no {e.filename}); run scripts/local up")
    except (BotoCoreError, ClientError, ResponseParserError) as e:
        # moto or the gateway gone (killed, or the machine restarted): one line, not a botocore
        # traceback from wherever the runner happened to call first. A live emulator's error is re-raised.
        try:
            where = down_endpoint()
        except (OSError, ValueError, KeyError):
            where = str(STATE / "state.json")
        if where is None:
            raise
        sys.exit(f"error: the local stack is not reachable at {where} ({type(e).__name__}); run scripts/local up")
