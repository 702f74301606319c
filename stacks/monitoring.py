"""MonitoringStack: an encrypted alarm topic, an alarm on every dead-letter queue (a message there
is an event nobody processed) and on errors of every function."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.data import DataStack


class MonitoringStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: DataStack,
        dead_letter_queues: dict[str, sqs.IQueue],
        functions: dict[str, lambda_.IFunction],
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.topic = sns.Topic(
            self, "Alarms", display_name="Dagy Ops alarms", master_key=data.key, enforce_ssl=True
        )
        notify = actions.SnsAction(self.topic)
        for name, queue in dead_letter_queues.items():
            alarm = queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1)
            ).create_alarm(
                self,
                f"{name}DeadLetters",
                alarm_description=f"Messages in the {name} dead-letter queue: events that were not processed",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
        for name, fn in functions.items():
            alarm = fn.metric_errors(period=Duration.minutes(5)).create_alarm(
                self,
                f"{name}Errors",
                alarm_description=f"The {name} function failed",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
