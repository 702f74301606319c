"""MonitoringStack: an encrypted alarm topic, an alarm on every dead-letter queue (a message there
is an event nobody processed) and on errors of every function."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class MonitoringStack(Stack):
    """Exposes `topic`, the SNS topic every alarm notifies (subscribe people or a chat bridge to it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dead_letter_queues: dict[str, sqs.IQueue],
        functions: dict[str, lambda_.IFunction],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # A key of its own: CloudWatch must be able to use it to publish alarms to the topic, and
        # that service need not reach the key of the tables.
        key = kms.Key(
            self,
            "AlarmsKey",
            description="Dagy Ops: alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(
            self, "Alarms", display_name="Dagy Ops alarms", master_key=key, enforce_ssl=True
        )
        CfnOutput(
            self, "AlarmTopicArn", value=self.topic.topic_arn, description="Subscribe to be told of alarms"
        )
        notify = actions.SnsAction(self.topic)
        for name, queue in dead_letter_queues.items():
            self._alarm(
                queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1)),
                f"{name}DeadLetters",
                f"Messages in the {name} dead-letter queue: events that were not processed",
                notify,
            )
        for name, fn in functions.items():
            self._alarm(
                fn.metric_errors(period=Duration.minutes(5)),
                f"{name.title().replace('_', '')}Errors",
                f"The {name} function failed",
                notify,
            )

    def _alarm(
        self, metric: cloudwatch.Metric, construct_id: str, description: str, notify: actions.SnsAction
    ) -> None:
        """Alarm at the first occurrence; no data (nothing happening) is fine."""
        metric.create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(notify)
