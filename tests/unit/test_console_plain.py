"""The CLI prints ARNs as they are: Rich must not read ":secret:" as an emoji code (issue 10:
a Secrets Manager ARN in `wsdeploy policy`'s JSON and in messages)."""

from wsdeploy.cli.console import print_result, say

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/keys-??????"


def test_results_and_messages_keep_colon_words(capsys):
    print_result(ARN, wrap=False)
    say(f"reading {ARN}")
    out, err = capsys.readouterr()
    assert out.strip() == ARN
    assert ARN in err
