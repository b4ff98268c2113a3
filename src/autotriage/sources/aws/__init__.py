"""AWS: CloudWatch Logs (scanned with `cloudwatch`), Firehose deliveries of subscription
filters (`firehose`) and SNS deliveries of CloudWatch alarms (`sns`)."""
