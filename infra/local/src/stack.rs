//! Starting and stopping the local stack.

use crate::authorizers::Authorizers;
use crate::events::Route;
use crate::gateway::{self, Gateway};
use crate::poller;
use crate::settings::LocalSettings;
use authorize_caller::AuthorizeCallerFunction;
use cpor_aws::schema::{self, QueueDefinition};
use cpor_aws::{ConfigError, Door, DynamoStore, Env, Wiring};
use deliver_webhooks::DeliverWebhooksFunction;
use finalize_association::FinalizeAssociationFunction;
use manage_claims::ManageClaimsFunction;
use notify_customer::NotifyCustomerFunction;
use notify_partner::NotifyPartnerFunction;
use process_claim_batch::ProcessClaimBatchFunction;
use publish_events::PublishEventsFunction;
use record_document::RecordDocumentFunction;
use record_email_feedback::RecordEmailFeedbackFunction;
use record_opt_out::RecordOptOutFunction;
use review_claims::ReviewClaimsFunction;
use run_export::RunExportFunction;
use std::net::SocketAddr;
use std::sync::Arc;
use submit_claim::SubmitClaimFunction;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A failure to start the stack.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The emulator's resources could not be created.
    #[error(transparent)]
    Provision(#[from] schema::ProvisionError),
    /// A function's configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The event bus, its rule or its queue could not be created.
    #[error(transparent)]
    Events(#[from] crate::events::EventsError),
    /// The webhooks' key could not be created.
    #[error(transparent)]
    Webhooks(#[from] crate::webhooks::WebhooksError),
    /// The gateway's address could not be bound.
    #[error("could not listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// The function `D`, built as Lambda builds it, on its own SDK configuration.
async fn build<D: Door>(
    settings: &LocalSettings,
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<D, ConfigError> {
    let sdk = settings.function_sdk_config(D::NAME, sdk);
    let wiring = Wiring::new(&sdk, env).with_clock(settings.clock.clone());
    let wiring = match &settings.webhook_resolver {
        Some(resolver) => wiring.with_webhook_resolver(resolver.clone()),
        None => wiring,
    };
    D::build(&wiring).await
}

/// A running local stack. [`LocalStack::stop`] ends its server and background tasks.
pub struct LocalStack {
    addr: SocketAddr,
    queue_url: String,
    documents_queue_url: String,
    batch_queue_url: String,
    partner_email_queue_url: String,
    exports_queue_url: String,
    webhook_queue_url: String,
    gateway: Arc<Gateway>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LocalStack {
    /// Creates the resources in the emulator and starts the gateway, the queue poller and the
    /// finalize timer.
    pub async fn start(mut settings: LocalSettings) -> Result<Self, StackError> {
        settings.ses_events.set_clock(settings.clock.clone());
        let sdk = settings.sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        tracing::info!(table = %settings.table, endpoint = %settings.endpoint, "creating the table");
        schema::create_table(&dynamodb, &settings.table).await?;
        let queue = QueueDefinition::notifications(&settings.queue_prefix);
        tracing::info!(queue = %queue.name, dead_letter = %queue.dead_letter_name, "creating the queues");
        let queue_url = schema::create_queues(&sqs, &queue).await?;
        let documents_queue = QueueDefinition::documents(&settings.queue_prefix);
        let documents_queue_url = schema::create_queues(&sqs, &documents_queue).await?;
        let partner_email_queue = QueueDefinition::partner_emails(&settings.queue_prefix);
        tracing::info!(queue = %partner_email_queue.name, dead_letter = %partner_email_queue.dead_letter_name, "creating the partner e-mail queues");
        let partner_email_queue_url = schema::create_queues(&sqs, &partner_email_queue).await?;
        let exports_queue = QueueDefinition::exports(&settings.queue_prefix);
        let exports_queue_url = schema::create_queues(&sqs, &exports_queue).await?;
        let batch_queue = QueueDefinition::claim_batches(&settings.queue_prefix);
        let batch_queue_url = schema::create_queues(&sqs, &batch_queue).await?;
        let webhook_queue = QueueDefinition::webhooks(&settings.queue_prefix);
        let webhook_queue_url = schema::create_queues(&sqs, &webhook_queue).await?;
        let feedback_queue = QueueDefinition::email_feedback(&settings.queue_prefix);
        let feedback_queue_url = schema::create_queues(&sqs, &feedback_queue).await?;
        let sns = aws_sdk_sns::Client::new(&sdk);
        let feedback_topic = crate::feedback::provision(
            &sns,
            &schema::email_feedback_topic(&settings.queue_prefix),
            &schema::queue_arn(&sqs, &feedback_queue_url).await?,
        )
        .await?;
        let bucket = schema::documents_bucket(&settings.queue_prefix);
        tracing::info!(bucket = %bucket, queue = %documents_queue.name, "creating the documents bucket and its notification");
        schema::create_documents_bucket(
            &cpor_aws::S3Documents::client(&sdk),
            &sqs,
            &bucket,
            &documents_queue_url,
        )
        .await?;
        let bus = schema::event_bus(&settings.queue_prefix);
        let delivered = crate::events::delivery_queue(&settings.queue_prefix);
        tracing::info!(bus = %bus, queue = %delivered, "creating the event bus and its rule to a queue");
        let eventbridge = aws_sdk_eventbridge::Client::new(&sdk);
        let events_queue_url =
            crate::events::provision(&eventbridge, &sqs, &bus, &delivered).await?;
        for (route, queue) in [
            (Route::PartnerEmails, &partner_email_queue_url),
            (Route::CustomerNotifications, &queue_url),
            (Route::Webhooks, &webhook_queue_url),
        ] {
            crate::events::route(&eventbridge, &sqs, &bus, route, queue).await?;
        }
        let archive = schema::event_archive(&settings.queue_prefix);
        tracing::info!(archive = %archive, "archiving the bus's events");
        crate::webhooks::create_archive(&eventbridge, &bus, &archive).await?;
        let stream_arn = crate::events::stream_arn(&dynamodb, &settings.table).await?;
        if settings.webhook_key.is_empty() {
            settings.webhook_key =
                crate::webhooks::create_key(&aws_sdk_kms::Client::new(&sdk)).await?;
            tracing::info!(key = %settings.webhook_key, "created the webhooks' key");
        }
        tracing::info!(sender = %settings.sender, "verifying the SES sender");
        schema::verify_sender(&aws_sdk_ses::Client::new(&sdk), &settings.sender).await?;

        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| StackError::Bind(settings.listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StackError::Bind(settings.listen, e))?;
        if settings.public_base_url.is_empty() {
            settings.public_base_url = format!("http://{addr}");
        }
        // The console is served by the gateway: its pages upload from the gateway's origin.
        if settings.console_origin.is_empty() {
            settings.console_origin = format!("http://{addr}");
        }
        schema::allow_console_uploads(
            &cpor_aws::S3Documents::client(&sdk),
            &bucket,
            &settings.console_origin,
        )
        .await?;

        // The functions are built exactly as in Lambda, from their environment, on the stack's
        // clock, each with SDK clients of its own (whose calls the IAM check attributes to it).
        let env = settings
            .function_env(&queue_url)
            .with(cpor_aws::config::EXPORTS_QUEUE_URL, &exports_queue_url)
            .with(cpor_aws::config::BATCH_QUEUE_URL, &batch_queue_url)
            .with(deliver_webhooks::QUEUE_URL, &webhook_queue_url);
        // Lambda's event source mapping polls the queue with notify-customer's role.
        let poller_sqs = aws_sdk_sqs::Client::new(
            &settings.function_sdk_config(NotifyCustomerFunction::NAME, &sdk),
        );
        let gateway = Arc::new(Gateway {
            submit: build::<SubmitClaimFunction>(&settings, &sdk, &env).await?,
            manage: build::<ManageClaimsFunction>(&settings, &sdk, &env).await?,
            review: build::<ReviewClaimsFunction>(&settings, &sdk, &env).await?,
            opt_out: build::<RecordOptOutFunction>(&settings, &sdk, &env).await?,
            notify: build::<NotifyCustomerFunction>(&settings, &sdk, &env).await?,
            notify_partner: build::<NotifyPartnerFunction>(&settings, &sdk, &env).await?,
            finalize: build::<FinalizeAssociationFunction>(&settings, &sdk, &env).await?,
            record_document: build::<RecordDocumentFunction>(&settings, &sdk, &env).await?,
            run_export: build::<RunExportFunction>(&settings, &sdk, &env).await?,
            email_feedback: build::<RecordEmailFeedbackFunction>(&settings, &sdk, &env).await?,
            process_batch: build::<ProcessClaimBatchFunction>(&settings, &sdk, &env).await?,
            deliver_webhooks: build::<DeliverWebhooksFunction>(&settings, &sdk, &env).await?,
            feedback_topic: (sns, feedback_topic),
            publish: build::<PublishEventsFunction>(&settings, &sdk, &env).await?,
            authorizers: Authorizers::new(
                &settings.jwt_secret,
                settings.trusted_issuers.clone(),
                if settings.trusted_issuers.is_empty() {
                    None
                } else {
                    Some(build::<AuthorizeCallerFunction>(&settings, &sdk, &env).await?)
                },
            ),
            events: Arc::new(crate::events::EventLog::default()),
            reference: DynamoStore::new(dynamodb, settings.table.clone()),
            settings: settings.clone(),
            http: reqwest::Client::new(),
            sqs,
            queue_url: queue_url.clone(),
        });

        let (shutdown, watch_shutdown) = watch::channel(false);
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(gateway::serve(
            listener,
            gateway.clone(),
            watch_shutdown.clone(),
        )));
        if settings.poll_notifications {
            tasks.push(tokio::spawn(poller::poll_notifications(
                poller_sqs,
                gateway.sqs.clone(),
                queue_url.clone(),
                gateway.clone(),
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // Lambda's event source mapping polls the documents queue with record-document's
            // role.
            let documents_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(RecordDocumentFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                documents_sqs,
                gateway.sqs.clone(),
                documents_queue_url.clone(),
                gateway.clone(),
                poller::Consumer::RecordDocument,
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // ... the exports queue with run-export's.
            let exports_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(RunExportFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                exports_sqs,
                gateway.sqs.clone(),
                exports_queue_url.clone(),
                gateway.clone(),
                poller::Consumer::RunExport,
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // ... the claim batches' queue with process-claim-batch's ...
            let batch_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(ProcessClaimBatchFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                batch_sqs,
                gateway.sqs.clone(),
                batch_queue_url.clone(),
                gateway.clone(),
                poller::Consumer::ProcessClaimBatch,
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // ... and the e-mail feedback queue with record-email-feedback's.
            let feedback_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(RecordEmailFeedbackFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                feedback_sqs,
                gateway.sqs.clone(),
                feedback_queue_url,
                gateway.clone(),
                poller::Consumer::EmailFeedback,
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // Lambda's event source mapping reads the stream with publish-events' role.
            let streams = aws_sdk_dynamodbstreams::Client::new(
                &settings.function_sdk_config(PublishEventsFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(crate::events::read_stream(
                streams,
                stream_arn,
                gateway.clone(),
                watch_shutdown.clone(),
            )));
            // Another system's consumer of the bus: not a function of the service.
            tasks.push(tokio::spawn(crate::events::drain(
                gateway.sqs.clone(),
                events_queue_url,
                gateway.events.clone(),
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // SES's configuration set publishes the Send and Delivery events of what it
            // accepted to the feedback topic.
            tasks.push(tokio::spawn(crate::ses_events::publish(
                settings.ses_events.clone(),
                gateway.feedback_topic.0.clone(),
                gateway.feedback_topic.1.clone(),
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // ... and the partner e-mail queue with notify-partner's.
            let partner_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(NotifyPartnerFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                partner_sqs,
                gateway.sqs.clone(),
                partner_email_queue_url.clone(),
                gateway.clone(),
                poller::Consumer::NotifyPartner,
                watch_shutdown.clone(),
            )));
        }
        if settings.poll_notifications {
            // ... and the webhooks' queue with deliver-webhooks'.
            let webhook_sqs = aws_sdk_sqs::Client::new(
                &settings.function_sdk_config(DeliverWebhooksFunction::NAME, &sdk),
            );
            tasks.push(tokio::spawn(poller::poll_queue(
                webhook_sqs,
                gateway.sqs.clone(),
                webhook_queue_url.clone(),
                gateway.clone(),
                poller::Consumer::DeliverWebhooks,
                watch_shutdown.clone(),
            )));
        }
        if let Some(every) = settings.finalize_every {
            tasks.push(tokio::spawn(poller::finalize_every(
                every,
                gateway.clone(),
                watch_shutdown,
            )));
        }
        Ok(Self {
            addr,
            queue_url,
            documents_queue_url,
            batch_queue_url,
            partner_email_queue_url,
            exports_queue_url,
            webhook_queue_url,
            gateway,
            shutdown,
            tasks,
        })
    }

    /// Where the gateway listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The gateway's base URL, e.g. `http://127.0.0.1:3000`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The notification queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The functions behind the gateway, to call a handler directly with a hand-made event.
    /// The documents bucket's notification queue.
    pub fn documents_queue_url(&self) -> &str {
        &self.documents_queue_url
    }

    /// The claim batches' queue's URL.
    pub fn batch_queue_url(&self) -> &str {
        &self.batch_queue_url
    }

    /// The queue of the claims' events that notify-partner reads (the bus's rule fills it in
    /// AWS).
    pub fn partner_email_queue_url(&self) -> &str {
        &self.partner_email_queue_url
    }

    /// The webhooks' queue, which deliver-webhooks reads (the bus's rule fills it).
    pub fn webhook_queue_url(&self) -> &str {
        &self.webhook_queue_url
    }

    /// The exports' queue, which run-export reads.
    pub fn exports_queue_url(&self) -> &str {
        &self.exports_queue_url
    }

    pub fn functions(&self) -> &Gateway {
        &self.gateway
    }

    /// The settings the stack runs with.
    pub fn settings(&self) -> &LocalSettings {
        &self.gateway.settings
    }

    /// Stops the server and the background tasks, and waits for them.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
