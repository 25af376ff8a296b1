"""template.yaml as data: a YAML loader that keeps CloudFormation's short-form intrinsics
(`!Ref X` -> {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, ...). Shared by the local
runner and the preflight check."""
from pathlib import Path

import yaml


class CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    return construct


for _tag in ["Ref", "Condition"]:
    CfnLoader.add_constructor("!" + _tag, _intrinsic(_tag))
for _tag in ["Sub", "GetAtt", "Join", "If", "Equals", "Not", "And", "Or", "Select", "Split",
             "FindInMap", "ImportValue", "Base64", "GetAZs", "Cidr", "ToJsonString", "Length"]:
    CfnLoader.add_constructor("!" + _tag, _intrinsic("Fn::" + _tag))


def load(path):
    return yaml.load(Path(path).read_text(), Loader=CfnLoader)
