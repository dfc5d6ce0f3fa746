/**
 * What a Celery application needs to know to use a {@link CeleryWorker}'s queue. The worker task gets
 * these as environment variables; the producer (for example the web service) needs the same values.
 *
 * Application settings (Python), reading the variables the worker task is given:
 *
 * ```python
 * import os
 *
 * queue = os.environ["CELERY_QUEUE_NAME"]
 * broker_url = os.environ["CELERY_BROKER_URL"]          # "sqs://": credentials come from the task role
 * task_default_queue = queue                             # so `celery worker` without -Q consumes it too
 * broker_transport_options = {
 *     "region": os.environ["CELERY_BROKER_REGION"],
 *     "visibility_timeout": int(os.environ["CELERY_VISIBILITY_TIMEOUT"]),
 *     # Known queue: kombu never calls ListQueues or CreateQueue (the task role may not).
 *     "predefined_queues": {queue: {"url": os.environ["CELERY_QUEUE_URL"]}},
 * }
 * task_time_limit = int(os.environ["CELERY_TASK_TIME_LIMIT"])  # below the visibility timeout
 * task_acks_late = True             # delete the message after the task, so interrupted work is redelivered
 * worker_prefetch_multiplier = 1    # do not hold messages another task could run
 * worker_enable_remote_control = False  # SQS has no fanout: no pidbox, inspect or control
 * ```
 */

/** The environment variables the worker task always gets; the caller's `environment` may not set them. */
export const CELERY_ENVIRONMENT_VARIABLES = [
  "CELERY_BROKER_URL",
  "CELERY_BROKER_REGION",
  "CELERY_QUEUE_NAME",
  "CELERY_QUEUE_URL",
  "CELERY_VISIBILITY_TIMEOUT",
  "CELERY_TASK_TIME_LIMIT",
] as const;

export type CeleryEnvironmentVariable = (typeof CELERY_ENVIRONMENT_VARIABLES)[number];

/** Celery's `broker_transport_options` for one SQS queue, with kombu's snake_case keys. */
export interface CeleryBrokerTransportOptions {
  readonly region: string;
  readonly visibility_timeout: number;
  readonly predefined_queues: Readonly<Record<string, { readonly url: string }>>;
}

/**
 * The `broker_transport_options` a Celery app uses for this queue (for example to render into a
 * settings file or an SSM parameter). The `predefined_queues` key is the Celery queue name, which the
 * worker sets equal to the SQS queue name.
 */
export function celeryBrokerTransportOptions(
  queueName: string,
  queueUrl: string,
  region: string,
  visibilityTimeoutSeconds: number,
): CeleryBrokerTransportOptions {
  return {
    region,
    visibility_timeout: visibilityTimeoutSeconds,
    predefined_queues: { [queueName]: { url: queueUrl } },
  };
}

/** The environment variables of {@link CELERY_ENVIRONMENT_VARIABLES} with their values. */
export function celeryEnvironment(options: {
  queueName: string;
  queueUrl: string;
  region: string;
  visibilityTimeoutSeconds: number;
  taskTimeLimitSeconds: number;
}): Record<CeleryEnvironmentVariable, string> {
  return {
    CELERY_BROKER_URL: "sqs://",
    CELERY_BROKER_REGION: options.region,
    CELERY_QUEUE_NAME: options.queueName,
    CELERY_QUEUE_URL: options.queueUrl,
    CELERY_VISIBILITY_TIMEOUT: String(options.visibilityTimeoutSeconds),
    CELERY_TASK_TIME_LIMIT: String(options.taskTimeLimitSeconds),
  };
}
