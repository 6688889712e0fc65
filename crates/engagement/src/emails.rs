//! The e-mail engagement sends, queued in the transaction of the reply or like it tells of.

use cinema_kernel::mail::{Email, Template};
use serde::Serialize;

/// Someone replied to or liked your comment.
#[derive(Debug, Clone, Serialize)]
pub struct CommentActivity {
    /// A reply (`true`) or a like.
    pub replied: bool,
    pub actor: String,
    pub movie: String,
    /// The start of the comment.
    pub excerpt: String,
}

impl Email for CommentActivity {
    const TEMPLATE: Template = Template {
        name: "engagement.comment_activity",
        html: include_str!("templates/comment_activity.html"),
        text: include_str!("templates/comment_activity.txt"),
    };

    fn subject(&self) -> String {
        if self.replied {
            format!("{} replied to your comment on {}", self.actor, self.movie)
        } else {
            format!("{} liked your comment on {}", self.actor, self.movie)
        }
    }
}
