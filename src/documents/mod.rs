//! Documents the portal draws: the invoice PDF (invoice data in, bytes out). No web, no
//! database: the faces hand it what to draw.
pub mod invoice_pdf;
