//! Email: messages rendered from askama templates (text + HTML), queued in the outbox inside
//! the business transaction, and sent by a background worker through SMTP or into files.
pub mod messages;
pub mod outbox;
pub mod worker;

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where mail goes: a real SMTP server, or `.eml` files in a folder (development).
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => Ok(Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build(),
            )),
            None => {
                std::fs::create_dir_all(config.mail_dir())?;
                Ok(Self::Files(AsyncFileTransport::new(config.mail_dir())))
            }
        }
    }

    pub async fn send(&self, from: &str, msg: &EmailMessage) -> anyhow::Result<()> {
        let from: Mailbox = from.parse()?;
        let to: Mailbox = msg.to.parse()?;
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(&msg.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(msg.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(msg.html.clone()),
                    ),
            )?;
        match self {
            Self::Smtp(t) => {
                t.send(email).await?;
            }
            Self::Files(t) => {
                t.send(email).await?;
            }
        }
        Ok(())
    }
}
