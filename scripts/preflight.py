#!/usr/bin/env python3
"""Checks the target AWS account and region before a deploy of template.yaml, in seconds, instead of
finding out 30 minutes into `sam deploy` (or in its rollback). Prints every problem with its fix.

  scripts/preflight [--config-env ENV] [--config-file samconfig.toml] [--template-file template.yaml]
                    [--stack-name NAME] [--region REGION] [--profile PROFILE]
                    [--parameter-overrides Name=Value [Name=Value ...]]

Parameters are read as sam deploy reads them: the template's defaults, then parameter_overrides of
samconfig.toml's chosen environment, then --parameter-overrides. Stack name, region and profile
come from the same places (and the AWS SDK's own settings for region and credentials).

Exit status: 0 when nothing found would fail the deploy (warnings are printed, and allowed), 1 when
something would, 2 when the command line or the configuration files cannot be read.
"""
import argparse
import fnmatch
import os
import re
import shlex
import sys
import tomllib
from pathlib import Path

import boto3
import botocore.exceptions
import yaml

import cfn_yaml

ROOT = Path(__file__).resolve().parent.parent

# The stack name rule (docs/decisions.md, "Stack names"): resources are named after the stack, the
# load balancer and its target group "<stack>-alb" and "<stack>-web" within Elastic Load Balancing's
# 32 characters, caches in lower case, SSM documents not beginning with a reserved prefix.
STACK_NAME = re.compile(r"^[a-z](?:-?[a-z0-9])*$")
STACK_NAME_MAX = 28
STACK_NAME_RESERVED = ("aws", "amazon", "amzn")
# Lambda refuses a reservation that leaves fewer unreserved executions than this.
LAMBDA_UNRESERVED_MINIMUM = 100
# CloudFront takes ACM certificates from this region only.
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
# Graviton types suggested when the chosen web instance type is not offered in every zone.
WEB_TYPE_CANDIDATES = ["t4g.small", "t4g.medium", "t4g.large", "m7g.large", "c7g.large", "r7g.large",
                       "m6g.large", "c6g.large"]
# Stacks in these states cannot be deployed to until they are deleted (or their rollback continued).
STACK_STUCK = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "CREATE_FAILED",
               "UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"}


class UsageError(Exception):
    pass


class Unresolvable(Exception):
    """A value that only exists once the stack does (a resource's name or attribute)."""


# --- the report -----------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.errors = 0
        self.warnings = 0

    def ok(self, check, detail):
        print(f"  ok    {check}: {detail}")

    def skip(self, check, why):
        print(f"  skip  {check}: {why}")

    def fail(self, check, problem, fix):
        self.errors += 1
        print(f"  FAIL  {check}: {problem}")
        print(f"        fix: {fix}")

    def warn(self, check, problem, fix):
        self.warnings += 1
        print(f"  warn  {check}: {problem}")
        print(f"        fix: {fix}")

    def unchecked(self, check, error, fix, blocking=True):
        """A check that could not run: it blocks when what it checks would fail the deploy."""
        text = f"could not check ({aws_error(error)})"
        if blocking:
            self.fail(check, text, fix)
        else:
            self.warn(check, text, fix)


def aws_error(e):
    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip().rstrip(":")
    return f"{type(e).__name__}: {e}"


def error_code(e):
    return e.response.get("Error", {}).get("Code", "") if isinstance(e, botocore.exceptions.ClientError) else ""


# --- template and parameters ----------------------------------------------------------------



class Template:
    """template.yaml with the parameter values of this deploy: conditions, and the intrinsics
    CloudFormation resolves before it creates anything (Ref of parameters and pseudo parameters,
    Fn::If, Fn::Sub, Fn::FindInMap, Fn::Select, Fn::GetAZs, Fn::Join). A reference to a resource
    raises Unresolvable: its value exists only once the stack does."""

    def __init__(self, path, values, pseudo, zones):
        self.doc = cfn_yaml.load(path)
        self.values = values
        self.pseudo = pseudo
        self.zones = zones  # a callable: Fn::GetAZs, asked only when a value needs it
        self.refs = []      # the parameters a resolve() read (to name them in a fix)

    @property
    def parameters(self):
        return self.doc.get("Parameters", {})

    @property
    def resources(self):
        return self.doc.get("Resources", {})

    def included(self, logical):
        cond = self.resources[logical].get("Condition")
        return cond is None or self.condition(cond)

    def of_type(self, *types):
        return [(k, r) for k, r in self.resources.items() if r.get("Type") in types and self.included(k)]

    def resolve(self, node):
        """The value of node; self.refs lists the parameters it read (conditions not included)."""
        self.refs = []
        return self._value(node)

    def _value(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref":
                return self._ref(arg)
            if fn == "Fn::If":
                return self._value(arg[1] if self.condition(arg[0]) else arg[2])
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return re.sub(r"\$\{([^}!][^}]*)\}",
                              lambda m: str(self._value(extra[m.group(1)]) if m.group(1) in extra
                                            else self._ref(m.group(1))), text)
            if fn == "Fn::FindInMap":
                a = [self._value(x) for x in arg]
                return self.doc["Mappings"][a[0]][a[1]][a[2]]
            if fn == "Fn::Select":
                items = self._value(arg[1])
                index = int(self._value(arg[0]))
                if index >= len(items):
                    raise IndexError(f"Fn::Select {index} of {items}")
                return items[index]
            if fn == "Fn::GetAZs":
                return self.zones()
            if fn == "Fn::Join":
                return str(arg[0]).join(str(self._value(x)) for x in self._value(arg[1]))
            if fn in ("Fn::GetAtt", "Fn::ImportValue", "Fn::Cidr", "Fn::Base64", "Fn::Split", "Fn::ToJsonString"):
                raise Unresolvable(fn)
        if isinstance(node, list):
            return [self._value(v) for v in node]
        if isinstance(node, dict):
            return {k: self._value(v) for k, v in node.items()}
        return node

    def _ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.values:
            self.refs.append(name)
            return self.values[name]
        raise Unresolvable(name)

    def condition(self, name):
        saved = self.refs
        try:
            return self._truth(self.doc["Conditions"][name])
        finally:
            self.refs = saved

    def _truth(self, node):
        (fn, arg), = node.items()
        if fn == "Fn::Equals":
            return str(self._value(arg[0])) == str(self._value(arg[1]))
        if fn == "Fn::Not":
            return not self._truth(arg[0])
        if fn == "Fn::And":
            return all(self._truth(a) for a in arg)
        if fn == "Fn::Or":
            return any(self._truth(a) for a in arg)
        if fn == "Condition":
            return self.condition(arg)
        raise ValueError(f"cannot evaluate condition {node}")

    def parameters_referenced_by(self, logical_types):
        """Template parameters referenced (by Ref or ${...}) inside resources of these types."""
        found = set()

        def walk(node):
            if isinstance(node, dict):
                if set(node) == {"Ref"} and node["Ref"] in self.parameters:
                    found.add(node["Ref"])
                if set(node) == {"Fn::Sub"}:
                    text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
                    found.update(p for p in re.findall(r"\$\{([A-Za-z0-9]+)\}", text) if p in self.parameters)
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        for _, res in self.resources.items():
            if res.get("Type") in logical_types:
                walk(res.get("Properties", {}))
        return found


def read_samconfig(path, env):
    """stack_name, region, profile and parameter_overrides of one samconfig.toml environment."""
    if not path.exists():
        if env != "default":
            raise UsageError(f"{path} not found (needed for --config-env {env})")
        return {}, []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: {e}") from e
    if env not in data:
        if env != "default":
            raise UsageError(f"{path} has no [{env}.*] tables (environments: {', '.join(sorted(data)) or 'none'})")
        return {}, []
    section = data[env]
    settings = dict(section.get("global", {}).get("parameters", {}))
    settings.update(section.get("deploy", {}).get("parameters", {}))
    raw = settings.get("parameter_overrides", [])
    overrides = raw if isinstance(raw, list) else shlex.split(raw)
    return settings, [str(o) for o in overrides]


def parse_overrides(items, where):
    out = {}
    expanded = []
    for item in items:
        # sam also takes them as one string: 'A=1 B="two words"'.
        expanded.extend(shlex.split(item) if re.search(r"\s[A-Za-z0-9]+=", item) else [item])
    for item in expanded:
        m = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", item)
        if m:
            out[m.group(1)] = m.group(2)
        elif "=" in item and not item.startswith("="):
            name, value = item.split("=", 1)
            out[name] = value
        else:
            raise UsageError(f"{where}: '{item}' is not Name=Value")
    return out


def parameter_problems(name, spec, value):
    """How value breaks the parameter's own constraints (CloudFormation refuses the deploy then)."""
    out = []
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        out.append(f"{value!r} is not one of {', '.join(str(v) for v in spec['AllowedValues'])}")
    if "AllowedPattern" in spec and not re.fullmatch(str(spec["AllowedPattern"]), value):
        out.append(f"{value!r} does not match {spec['AllowedPattern']}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        out.append(f"{value!r} is shorter than {spec['MinLength']}")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        out.append(f"{value!r} is longer than {spec['MaxLength']}")
    if spec.get("Type") == "Number" or "MinValue" in spec or "MaxValue" in spec:
        try:
            number = float(value)
        except ValueError:
            return out + [f"{value!r} is not a number"]
        if "MinValue" in spec and number < float(spec["MinValue"]):
            out.append(f"{value} is below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            out.append(f"{value} is above {spec['MaxValue']}")
    return out


# --- the checks -----------------------------------------------------------------------------

class Preflight:
    def __init__(self, session, region, stack, template, values, report):
        self.session = session
        self.region = region
        self.stack = stack
        self.t = template
        self.values = values
        self.report = report
        self.clients = {}
        self.stack_exists = False
        self._zones = None

    def client(self, service, region=None):
        key = (service, region or self.region)
        if key not in self.clients:
            self.clients[key] = self.session.client(service, region_name=region or self.region)
        return self.clients[key]

    def zones(self):
        """What Fn::GetAZs gives this account here: the zones with a default subnet, or every
        available zone when none has one; in alphabetical order (CloudFormation's documentation)."""
        if self._zones is None:
            ec2 = self.client("ec2")
            zones = [z["ZoneName"] for z in ec2.describe_availability_zones(
                Filters=[{"Name": "zone-type", "Values": ["availability-zone"]},
                         {"Name": "state", "Values": ["available"]}])["AvailabilityZones"]]
            defaults = {s["AvailabilityZone"] for s in ec2.describe_subnets(
                Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}
            self._zones = sorted(z for z in zones if z in defaults) if defaults & set(zones) else sorted(zones)
        return self._zones

    def run(self):
        r = self.report
        checks = [self.parameters, self.stack_name, self.existing_stack, self.leftovers, self.image,
                  self.engine_versions, self.lambda_concurrency, self.certificates, self.instance_types,
                  self.caches, self.mail, self.network_interfaces]
        for check in checks:
            try:
                check()
            except Exception as e:  # a check that broke must not hide the others
                r.fail(check.__name__.replace("_", " "), f"the check itself failed: {aws_error(e).splitlines()[0]}",
                       "run it again; if it persists, report it with this output")

    # -- parameters and stack name --

    def parameters(self):
        bad = 0
        for name, spec in self.t.parameters.items():
            for problem in parameter_problems(name, spec, self.values[name]):
                bad += 1
                self.report.fail("parameters", f"{name}={problem}",
                                 f"give {name} a value its Description in template.yaml allows "
                                 f"(--parameter-overrides {name}=..., or samconfig.toml)")
        if not bad:
            self.report.ok("parameters", f"{len(self.t.parameters)} values pass template.yaml's constraints")

    def stack_name(self):
        problems = []
        if not STACK_NAME.fullmatch(self.stack):
            problems.append("lower-case letters, digits and single hyphens, a letter first")
        if len(self.stack) > STACK_NAME_MAX:
            problems.append(f"at most {STACK_NAME_MAX} characters (it has {len(self.stack)})")
        if self.stack.lower().startswith(STACK_NAME_RESERVED):
            problems.append("not beginning with " + ", ".join(STACK_NAME_RESERVED[:-1]) + " or " + STACK_NAME_RESERVED[-1])
        if problems:
            self.report.fail("stack name", f"'{self.stack}' must be: " + "; ".join(problems)
                             + f" (the load balancer is named '{self.stack}-alb', at most 32 characters;"
                             " cache ids are lower-cased; SSM document names may not begin with aws)",
                             f"deploy as e.g. '{suggest_stack_name(self.stack)}' (--stack-name, or stack_name "
                             "in samconfig.toml)")
        else:
            self.report.ok("stack name", f"'{self.stack}'")

    def existing_stack(self):
        cfn = self.client("cloudformation")
        try:
            stack = cfn.describe_stacks(StackName=self.stack)["Stacks"][0]
        except botocore.exceptions.ClientError as e:
            if error_code(e) == "ValidationError" and "does not exist" in aws_error(e):
                self.report.ok("existing stack", f"none named '{self.stack}' in {self.region}: the deploy creates it")
                return
            self.report.unchecked("existing stack", e, "allow cloudformation:DescribeStacks, or check by hand")
            return
        status = stack["StackStatus"]
        self.stack_exists = True
        if status in STACK_STUCK:
            fix = (f"aws cloudformation continue-update-rollback --stack-name {self.stack}, then deploy again"
                   if status == "UPDATE_ROLLBACK_FAILED" else
                   f"delete it (sam delete --stack-name {self.stack} --region {self.region}; see "
                   "docs/architecture.md, Teardown, for what stops a delete), then deploy again")
            self.report.fail("existing stack", f"'{self.stack}' is {status}: CloudFormation cannot deploy to it", fix)
        elif status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            self.report.fail("existing stack", f"'{self.stack}' is {status}",
                             "wait until it ends (aws cloudformation wait ...), then run preflight again")
        else:
            self.report.ok("existing stack", f"'{self.stack}' is {status}: the deploy updates it")

    def leftovers(self):
        """Named resources a new stack creates whose names are still taken: by what the last stack of
        this name left (a log group the CloudWatch agent or Lambda created again, a parameter or a
        secret scheduled for deletion). CloudFormation fails the create on them, then rolls back."""
        if self.stack_exists:
            self.report.skip("names left by an earlier stack", "the stack exists (an update keeps its names)")
            return
        checked = 0
        errors_before = self.report.errors
        for logical, res in self.t.of_type("AWS::Logs::LogGroup"):
            name = self._name(res, "LogGroupName")
            if name:
                checked += 1
                groups = self.client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
                if any(g["logGroupName"] == name for g in groups):
                    self.report.fail("names left by an earlier stack", f"log group {name} ({logical}) exists already",
                                     f"delete it: aws logs delete-log-group --log-group-name {name} --region {self.region}"
                                     " (export its events first if you need them)")
        for logical, res in self.t.of_type("AWS::SSM::Parameter"):
            name = self._name(res, "Name")
            if name:
                checked += 1
                try:
                    self.client("ssm").get_parameter(Name=name)
                    self.report.fail("names left by an earlier stack", f"SSM parameter {name} ({logical}) exists already",
                                     f"delete it: aws ssm delete-parameter --name {name} --region {self.region}")
                except botocore.exceptions.ClientError as e:
                    if error_code(e) != "ParameterNotFound":
                        raise
        for logical, res in self.t.of_type("AWS::SecretsManager::Secret"):
            name = self._name(res, "Name")
            if name:
                checked += 1
                try:
                    secret = self.client("secretsmanager").describe_secret(SecretId=name)
                except botocore.exceptions.ClientError as e:
                    if error_code(e) == "ResourceNotFoundException":
                        continue
                    raise
                if secret.get("DeletedDate"):
                    self.report.fail("names left by an earlier stack",
                                     f"secret {name} ({logical}) is scheduled for deletion and keeps its name until then",
                                     f"restore it (aws secretsmanager restore-secret --secret-id {name}) and delete it now: "
                                     f"aws secretsmanager delete-secret --secret-id {name} --force-delete-without-recovery")
                else:
                    self.report.fail("names left by an earlier stack", f"secret {name} ({logical}) exists already",
                                     f"delete it: aws secretsmanager delete-secret --secret-id {name} "
                                     "--force-delete-without-recovery (keep a copy of its value if you need it)")
        if self.report.errors == errors_before:
            self.report.ok("names left by an earlier stack", f"none of the {checked} names the stack gives its log "
                           "groups, parameters and secrets is taken")

    def _name(self, res, prop):
        try:
            value = self.t.resolve(res.get("Properties", {}).get(prop))
        except Unresolvable:
            return None
        return value if isinstance(value, str) and value else None

    def image(self):
        for name, spec in self.t.parameters.items():
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
                value = self.values[name]
                try:
                    self.client("ssm").get_parameter(Name=value)
                    self.report.ok("image", f"{name} ({value}) resolves in {self.region}")
                except botocore.exceptions.ClientError as e:
                    if error_code(e) == "ParameterNotFound":
                        self.report.fail("image", f"{name}: SSM parameter {value} does not exist in {self.region}",
                                         f"set {name} to a public parameter this region has (aws ssm get-parameters-by-path "
                                         "--path /aws/service/ami-amazon-linux-latest)")
                    else:
                        self.report.unchecked("image", e, f"allow ssm:GetParameter on {value}")

    # -- Aurora --

    def engine_versions(self):
        clusters = self.t.of_type("AWS::RDS::DBCluster")
        if not clusters:
            self.report.skip("Aurora engine version", "the template creates no DB cluster")
        for logical, res in clusters:
            props = res.get("Properties", {})
            engine = self.t.resolve(props.get("Engine"))
            version = self.t.resolve(props.get("EngineVersion"))
            version_params = [p for p in self.t.refs if p != "DatabaseEngine"] or ["the EngineVersion in template.yaml"]
            if not version:
                self.report.ok("Aurora engine version", f"{logical} names no version: RDS takes its default for {engine}")
                continue
            rds = self.client("rds")
            try:
                found = rds.describe_db_engine_versions(Engine=engine, EngineVersion=version)["DBEngineVersions"]
            except botocore.exceptions.ClientError as e:
                self.report.unchecked("Aurora engine version", e, "allow rds:DescribeDBEngineVersions, or check with "
                                      f"aws rds describe-db-engine-versions --engine {engine} --engine-version {version}")
                continue
            if not found:
                family = self._parameter_group_family(props)
                offered = rds.describe_db_engine_versions(
                    Engine=engine, **({"DBParameterGroupFamily": family} if family else {}))["DBEngineVersions"]
                versions = [v["EngineVersion"] for v in offered]
                if versions:
                    fix = (f"set {version_params[0]} to one of the versions {self.region} offers"
                           + (f" in {family}" if family else "") + f": {', '.join(versions)}")
                else:
                    fix = (f"{self.region} offers no {engine}" + (f" in {family}" if family else "")
                           + "; choose another DatabaseEngine or region")
                self.report.fail("Aurora engine version", f"{engine} {version} is not offered in {self.region}", fix)
                continue
            self.report.ok("Aurora engine version", f"{engine} {version} is offered in {self.region}")
            self._serverless_capacity(props, found[0], engine, version)

    def _parameter_group_family(self, cluster_props):
        ref = cluster_props.get("DBClusterParameterGroupName")
        if isinstance(ref, dict) and set(ref) == {"Ref"} and ref["Ref"] in self.t.resources:
            try:
                return self.t.resolve(self.t.resources[ref["Ref"]].get("Properties", {}).get("Family"))
            except Unresolvable:
                return None
        return None

    def _serverless_capacity(self, props, offered, engine, version):
        scaling = props.get("ServerlessV2ScalingConfiguration")
        support = offered.get("ServerlessV2FeaturesSupport")
        if not scaling or not support:
            return
        try:
            wanted = self.t.resolve(scaling)
        except Unresolvable:
            return
        if not isinstance(wanted, dict) or "MinCapacity" not in wanted:
            return
        minimum = float(support.get("MinCapacity", 0))
        if float(wanted["MinCapacity"]) < minimum:
            self.report.fail("Aurora serverless capacity",
                             f"{engine} {version} scales down to {minimum:g} ACU, not {wanted['MinCapacity']}",
                             f"set DatabaseMinCapacity to {minimum:g} or more, or choose a version that allows less")

    # -- Lambda --

    def lambda_concurrency(self):
        reserved = 0
        params = set()
        names = []
        for logical, res in self.t.of_type("AWS::Serverless::Function", "AWS::Lambda::Function"):
            props = res.get("Properties", {})
            if "ReservedConcurrentExecutions" not in props:
                continue
            value = self.t.resolve(props["ReservedConcurrentExecutions"])
            if value in (None, ""):
                continue
            params.update(self.t.refs)
            reserved += int(value)
            try:
                names.append(self.t.resolve(props.get("FunctionName")))
            except Unresolvable:
                pass
        if reserved == 0:
            self.report.ok("Lambda concurrency", "the stack reserves no concurrency")
            return
        lam = self.client("lambda")
        try:
            limit = lam.get_account_settings()["AccountLimit"]
        except botocore.exceptions.ClientError as e:
            self.report.unchecked("Lambda concurrency", e, "allow lambda:GetAccountSettings, or check with "
                                  "aws lambda get-account-settings")
            return
        unreserved = int(limit["UnreservedConcurrentExecutions"])
        # An update: what these functions reserve already is not in the unreserved pool.
        for name in names if self.stack_exists else []:
            try:
                unreserved += int(lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") or 0)
            except botocore.exceptions.ClientError:
                pass
        left = unreserved - reserved
        if left < LAMBDA_UNRESERVED_MINIMUM:
            param = sorted(params)[0] if params else "ReservedConcurrentExecutions"
            # Reserved by other functions of the account already, plus this stack's, plus Lambda's minimum.
            needed = int(limit["ConcurrentExecutions"]) - unreserved + reserved + LAMBDA_UNRESERVED_MINIMUM
            self.report.fail("Lambda concurrency",
                             f"reserving {reserved} would leave {left} unreserved executions (account limit "
                             f"{limit['ConcurrentExecutions']}); Lambda keeps at least {LAMBDA_UNRESERVED_MINIMUM}, "
                             "so the function's create fails",
                             f"set {param}=0 (the default: the detectors claim the flag's change, so one writes it), "
                             f"or ask for an account limit of at least {needed} (Service Quotas: AWS Lambda, "
                             "Concurrent executions, L-B99A9384)")
        else:
            self.report.ok("Lambda concurrency", f"reserving {reserved} leaves {left} of "
                           f"{limit['ConcurrentExecutions']} unreserved")

    # -- certificates --

    def certificates(self):
        domain = self.values.get("DomainName", "")
        cdn = self.values.get("EnableCdn") == "true"
        wanted = {
            # What each certificate must cover (template.yaml's parameter descriptions).
            "AlbCertificateArn": [d for d in ([domain, "origin." + domain] if cdn else [domain]) if domain and d],
            "CdnCertificateArn": [domain] if domain else [],
        }
        acm_params = [n for n, s in self.t.parameters.items() if ":acm:" in str(s.get("AllowedPattern", ""))]
        cloudfront_params = self.t.parameters_referenced_by({"AWS::CloudFront::Distribution"})
        configured = [n for n in acm_params if self.values.get(n)]
        if not configured:
            self.report.skip("certificates", "no certificate configured")
            return
        for name in configured:
            arn = self.values[name]
            for_cloudfront = name in cloudfront_params
            needed = CLOUDFRONT_CERTIFICATE_REGION if for_cloudfront else self.region
            what = "CloudFront" if for_cloudfront else "the load balancer"
            parts = arn.split(":")
            in_region = parts[3] if len(parts) > 5 else ""
            if in_region != needed:
                self.report.fail("certificates", f"{name} is in {in_region or '?'}; {what} takes certificates from "
                                 f"{needed} only",
                                 f"request or import the certificate in {needed} (aws acm request-certificate --region "
                                 f"{needed} --domain-name {domain or '<DomainName>'} --validation-method DNS) and set "
                                 f"{name} to its ARN")
                continue
            try:
                cert = self.client("acm", needed).describe_certificate(CertificateArn=arn)["Certificate"]
            except botocore.exceptions.ClientError as e:
                if error_code(e) in ("ResourceNotFoundException", "ValidationException", "InvalidArnException"):
                    self.report.fail("certificates", f"{name}: no certificate {arn} in {needed}",
                                     f"set {name} to a certificate of this account in {needed} "
                                     f"(aws acm list-certificates --region {needed})")
                else:
                    self.report.unchecked("certificates", e, f"allow acm:DescribeCertificate on {arn}")
                continue
            if cert.get("Status") != "ISSUED":
                self.report.fail("certificates", f"{name} is {cert.get('Status')}, not ISSUED",
                                 "finish its validation (the DNS records ACM asks for: aws acm describe-certificate "
                                 f"--certificate-arn {arn} --region {needed}), or use an issued certificate")
                continue
            names = [cert.get("DomainName", "")] + cert.get("SubjectAlternativeNames", [])
            missing = [d for d in wanted.get(name, []) if not covers(names, d)]
            if missing:
                self.report.fail("certificates", f"{name} does not cover {', '.join(missing)} (it covers "
                                 f"{', '.join(sorted(set(names)))})",
                                 f"use a certificate for {', '.join(wanted[name])} in {needed}")
            else:
                self.report.ok("certificates", f"{name}: issued in {needed}" +
                               (f", covers {', '.join(wanted[name])}" if wanted.get(name) else ""))

    # -- EC2 --

    def instance_types(self):
        zones = set()
        try:
            for _, res in self.t.of_type("AWS::EC2::Subnet"):
                zones.add(self.t.resolve(res.get("Properties", {}).get("AvailabilityZone")))
        except IndexError:
            count = self.values.get("AvailabilityZoneCount", "?")
            self.report.fail("web instance type", f"{self.region} has {len(self.zones())} zone(s) for this "
                             f"account ({', '.join(self.zones())}); the stack spans {count}",
                             "set AvailabilityZoneCount=2, or choose a region with more zones")
            return
        zones.discard(None)
        for logical, res in self.t.of_type("AWS::EC2::LaunchTemplate"):
            try:
                itype = self.t.resolve(res["Properties"]["LaunchTemplateData"].get("InstanceType"))
            except (Unresolvable, KeyError):
                continue
            param = self.t.refs[0] if self.t.refs else "the InstanceType in template.yaml"
            offered = self._offered([itype], zones)
            missing = sorted(zones - offered.get(itype, set()))
            if missing:
                everywhere = self._offered(WEB_TYPE_CANDIDATES, zones)
                alternatives = [c for c in WEB_TYPE_CANDIDATES if everywhere.get(c, set()) >= zones][:4]
                self.report.fail("web instance type", f"{itype} is not offered in {', '.join(missing)} (the stack's "
                                 f"zones: {', '.join(sorted(zones))})",
                                 f"set {param} to a type offered in all of them"
                                 + (f", e.g. {', '.join(alternatives)}" if alternatives else
                                    " (aws ec2 describe-instance-type-offerings --location-type availability-zone)"))
            else:
                self.report.ok("web instance type", f"{itype} is offered in {', '.join(sorted(zones))}")

    def _offered(self, types, zones):
        out = {}
        paginator = self.client("ec2").get_paginator("describe_instance_type_offerings")
        for page in paginator.paginate(LocationType="availability-zone",
                                       Filters=[{"Name": "instance-type", "Values": types},
                                                {"Name": "location", "Values": sorted(zones)}]):
            for o in page["InstanceTypeOfferings"]:
                out.setdefault(o["InstanceType"], set()).add(o["Location"])
        return out

    # -- ElastiCache --

    def caches(self):
        ec = self.client("elasticache")
        node_based = self.t.of_type("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster")
        serverless = self.t.of_type("AWS::ElastiCache::ServerlessCache")
        if not node_based and not serverless:
            self.report.skip("caches", "no cache configured")
            return
        engines = {}
        for logical, res in node_based + serverless:
            engine = self.t.resolve(res.get("Properties", {}).get("Engine"))
            engines.setdefault(engine, set()).update(self.t.refs)
        offered = {}
        for engine, params in sorted(engines.items()):
            try:
                versions = [v["EngineVersion"] for v in
                            ec.describe_cache_engine_versions(Engine=engine)["CacheEngineVersions"]]
            except botocore.exceptions.ClientError as e:
                self.report.unchecked("caches", e, "allow elasticache:DescribeCacheEngineVersions")
                continue
            offered[engine] = versions
            if versions:
                self.report.ok("caches", f"{engine} is offered in {self.region} ({', '.join(versions[-3:])})")
            else:
                other = "redis" if engine == "valkey" else "valkey"
                where = ", ".join(sorted(params)) or "the cache engine in template.yaml"
                self.report.fail("caches", f"{engine} is not offered in {self.region}",
                                 f"set {where} to {other} or none")
        if serverless:
            params = [n for n in ("SessionCacheEngine", "ApplicationCacheEngine") if self.values.get(n) == "serverless"]
            try:
                ec.describe_serverless_caches(MaxResults=1)
                self.report.ok("caches", f"ElastiCache Serverless answers in {self.region}")
            except botocore.exceptions.ClientError as e:
                if error_code(e) in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
                    self.report.unchecked("caches", e, "allow elasticache:DescribeServerlessCaches")
                else:
                    self.report.fail("caches", f"ElastiCache Serverless is not available in {self.region} "
                                     f"({aws_error(e)})",
                                     f"set {' and '.join(params) or 'the cache engines'} to valkey (node-based) instead")

    # -- mail --

    def mail(self):
        domain = self.values.get("MailDomain", "")
        if not domain:
            self.report.skip("mail (SES)", "no MailDomain: the stack sets up no SES e-mail, and Moodle sends no mail "
                             "(password resets included) until its SMTP settings are set by hand")
            return
        ses = self.client("sesv2")
        try:
            identity = ses.get_email_identity(EmailIdentity=domain)
        except botocore.exceptions.ClientError as e:
            if error_code(e) != "NotFoundException":
                self.report.unchecked("mail (SES)", e, "allow ses:GetEmailIdentity", blocking=False)
                return
            identity = None
        if identity is not None and not self.stack_exists:
            # AWS::SES::EmailIdentity creates the identity; CloudFormation's create of one that
            # exists fails (AlreadyExists) and rolls the whole stack back.
            self.report.fail("mail (SES)", f"{domain} is already an SES identity in {self.region}: the stack creates "
                             "its own, and that create would fail",
                             f"delete it if nothing else sends as it (aws sesv2 delete-email-identity --email-identity "
                             f"{domain} --region {self.region}), or set MailDomain to a subdomain of it")
        elif identity is not None and not identity.get("VerifiedForSendingStatus"):
            self.report.warn("mail (SES)", f"{domain} is not verified for sending yet",
                             "its DKIM records must resolve (the stack's MailDnsRecords output; SES checks for up to "
                             "72 hours): docs/runbook.md, \"E-mail through SES\"")
        elif identity is None and not self.values.get("HostedZoneId"):
            self.report.warn("mail (SES)", f"no HostedZoneId: the stack cannot publish {domain}'s DKIM and MAIL FROM "
                             "records", "publish the records of the stack's MailDnsRecords output in the zone of "
                             f"{domain} after the deploy; SES verifies the domain once they resolve")
        else:
            self.report.ok("mail (SES)", f"{domain}: the stack creates or keeps its SES identity in {self.region}")
        try:
            account = ses.get_account()
            if not account.get("ProductionAccessEnabled"):
                self.report.warn("mail (SES)", f"the account is in the SES sandbox in {self.region}: Moodle's mail "
                                 "reaches verified addresses only (docs/runbook.md, \"Leaving the SES sandbox\")",
                                 f"request production access: aws sesv2 put-account-details --region {self.region} "
                                 f"--production-access-enabled --mail-type TRANSACTIONAL --website-url "
                                 f"https://{self.values.get('DomainName') or domain} --use-case-description "
                                 "'Moodle notifications and password resets'")
        except botocore.exceptions.ClientError as e:
            self.report.unchecked("mail (SES)", e, "allow ses:GetAccount", blocking=False)

    # -- delete readiness --

    def network_interfaces(self):
        """CloudFormation waits for the InstallDetector's network interfaces before it deletes its
        subnets and security group, using ec2:DescribeNetworkInterfaces of whoever deletes the stack;
        without it the delete fails on them (docs/decisions.md, "In-VPC InstallDetector")."""
        if not self.t.of_type("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return
        try:
            self.client("ec2").describe_network_interfaces(MaxResults=5)
            self.report.ok("delete readiness", "this identity may describe network interfaces (CloudFormation waits "
                           "on the InstallDetector's with it when the stack is deleted)")
        except botocore.exceptions.ClientError as e:
            self.report.warn("delete readiness", f"ec2:DescribeNetworkInterfaces is refused ({aws_error(e)}): a stack "
                             "delete by this identity fails on the InstallDetector's subnets and security group",
                             "allow ec2:DescribeNetworkInterfaces to whoever deletes the stack")


def suggest_stack_name(name):
    """A name close to name that keeps the stack name rule."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower())
    s = re.sub(r"^[^a-z]+", "", s)
    for prefix in STACK_NAME_RESERVED:
        if s.startswith(prefix):
            s = "site-" + s
            break
    s = s[:STACK_NAME_MAX].strip("-")
    return s if STACK_NAME.fullmatch(s) else "moodle"


def covers(names, domain):
    """An ACM name covers a domain: exactly, or as a wildcard for one label."""
    for n in names:
        if n == domain:
            return True
        if n.startswith("*.") and fnmatch.fnmatchcase(domain, n) and domain.count(".") == n.count("."):
            return True
    return False


def main(argv):
    p = argparse.ArgumentParser(prog="scripts/preflight", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config-env", default="default", help="samconfig.toml environment (dev, prod, default)")
    p.add_argument("--config-file", default=str(ROOT / "samconfig.toml"))
    p.add_argument("--template-file", "-t", default=str(ROOT / "template.yaml"))
    p.add_argument("--stack-name")
    p.add_argument("--region")
    p.add_argument("--profile")
    p.add_argument("--parameter-overrides", nargs="+", default=[], metavar="Name=Value")
    args = p.parse_args(argv)
    try:
        settings, sam_overrides = read_samconfig(Path(args.config_file), args.config_env)
        template_path = Path(args.template_file)
        if not template_path.exists():
            raise UsageError(f"{template_path} not found")
        stack = args.stack_name or settings.get("stack_name")
        if not stack:
            raise UsageError(f"no stack name: pass --stack-name (samconfig.toml [{args.config_env}] has none)")
        overrides = parse_overrides(sam_overrides, f"samconfig.toml [{args.config_env}.deploy.parameters]")
        overrides.update(parse_overrides(args.parameter_overrides, "--parameter-overrides"))
        session = boto3.Session(profile_name=args.profile or settings.get("profile"))
        # AWS_REGION as well: the other SDKs (and Lambda) read it; boto3 reads AWS_DEFAULT_REGION.
        region = args.region or settings.get("region") or session.region_name or os.environ.get("AWS_REGION")
        if not region:
            raise UsageError("no region: pass --region, set region in samconfig.toml, or set AWS_REGION")
        raw = cfn_yaml.load(template_path)
    except (UsageError, botocore.exceptions.ProfileNotFound, yaml.YAMLError, OSError) as e:
        print(f"preflight: {e}", file=sys.stderr)
        return 2

    report = Report()
    print(f"preflight: stack '{stack}' in {region} (config env {args.config_env}, {template_path.name})")
    unknown = sorted(set(overrides) - set(raw.get("Parameters", {})))
    values = {k: str(v.get("Default", "")) for k, v in raw.get("Parameters", {}).items()}
    values.update({k: v for k, v in overrides.items() if k not in unknown})
    try:
        identity = session.client("sts", region_name=region).get_caller_identity()
    except (botocore.exceptions.ClientError, botocore.exceptions.NoCredentialsError,
            botocore.exceptions.EndpointConnectionError) as e:
        report.fail("credentials", f"no usable AWS credentials ({aws_error(e)})",
                    "configure credentials for the target account (aws configure, AWS_PROFILE or --profile)")
        print(f"\npreflight: {report.errors} problem(s) would fail the deploy")
        return 1
    report.ok("credentials", f"account {identity['Account']} as {identity['Arn']}")
    for name in unknown:
        report.fail("parameters", f"{name} is not a parameter of {template_path.name}",
                    f"remove {name} from the overrides (parameters: see docs/architecture.md)")
    pseudo = {"AWS::StackName": stack, "AWS::Region": region, "AWS::AccountId": identity["Account"],
              "AWS::Partition": session.get_partition_for_region(region), "AWS::URLSuffix": "amazonaws.com",
              "AWS::NoValue": None}
    preflight = None

    def zones():
        return preflight.zones()
    template = Template(template_path, values, pseudo, zones)
    preflight = Preflight(session, region, stack, template, values, report)
    preflight.run()
    print()
    if report.errors:
        print(f"preflight: {report.errors} problem(s) would fail the deploy"
              + (f", {report.warnings} warning(s)" if report.warnings else "") + "; fix them, then run preflight again")
        return 1
    print("preflight: nothing found that would fail the deploy"
          + (f" ({report.warnings} warning(s) above)" if report.warnings else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
