// French and English strings; the language comes from data-engage-lang, else <html lang>.
// French follows the Imprimerie nationale: a narrow no-break space (U+202F) before ! ? ; and
// inside « », a no-break space (U+00A0) before :, the typographic apostrophe ’
// (tests/test_typography.py checks every string).
const STRINGS = {
  fr: {
    region: "Réactions et commentaires",
    reactionsTitle: "Votre réaction",
    reactions: { like: "J’aime", love: "J’adore", haha: "Drôle", wow: "Surprenant", sad: "Triste", angry: "Révoltant" },
    sharesTitle: "Partager",
    networks: { facebook: "Facebook", x: "X", whatsapp: "WhatsApp", linkedin: "LinkedIn", telegram: "Telegram", email: "E-mail", copy: "Copier le lien" },
    nativeShare: "Partager…",
    copied: "Lien copié dans le presse-papiers.",
    copiedShort: "Lien copié ✓",
    copyFailed: "Impossible de copier le lien : copiez l’adresse de la page.",
    commentsTitle: (n) => plural("fr", n, "commentaire", "commentaires"),
    formTitle: "Laisser un commentaire",
    replyTitle: (name) => `Répondre à ${name}`,
    name: "Nom",
    email: "E-mail (facultatif)",
    emailHint: "Jamais affiché ni partagé.",
    body: "Votre commentaire",
    bodyHint: "**gras**, *italique*, `code`, > citation, listes et liens.",
    count: (n, max) => `${fmt("fr", n)} / ${plural("fr", max, "caractère", "caractères")}`,
    submit: "Publier",
    sending: "Envoi…",
    cancel: "Annuler",
    save: "Enregistrer",
    posted: "Votre commentaire est publié.",
    pending: "Merci ! Votre commentaire sera visible après modération.",
    awaiting: "En attente de modération",
    fixFields: "Vérifiez les champs signalés.",
    wait: (s) => `Vous écrivez vite ! Patientez ${fmt("fr", s)} s avant de réessayer.`,
    failed: "Le service ne répond pas. Réessayez dans un instant.",
    closed: "Les commentaires sont fermés pour cet article.",
    empty: "Aucun commentaire pour l’instant. Lancez la discussion !",
    sort: "Trier",
    sorts: { oldest: "Plus anciens", newest: "Plus récents", top: "Les plus appréciés" },
    more: "Afficher plus de commentaires",
    moreReplies: (n) => `Afficher ${plural("fr", n, "autre réponse", "autres réponses")}`,
    reply: "Répondre",
    like: "J’aime",
    likeCount: (n) => `${fmt("fr", n)} j’aime`,
    edit: "Modifier",
    remove: "Supprimer",
    confirmRemove: "Supprimer définitivement ce commentaire ?",
    removed: "Commentaire supprimé.",
    deleted: "Ce commentaire a été supprimé.",
    edited: "modifié",
    featured: "Choix de la rédaction",
    moderator: "Modération",
    report: "Signaler",
    reportTitle: "Pourquoi signaler ce commentaire ?",
    reasons: { spam: "Spam ou publicité", abuse: "Propos injurieux ou haineux", offtopic: "Hors sujet", illegal: "Contenu illégal", other: "Autre raison" },
    note: "Précisions (facultatif)",
    noteIllegal: "Expliquez en quoi ce contenu est illégal",
    send: "Envoyer le signalement",
    reported: "Merci, les modérateurs vont examiner ce commentaire.",
    inReplyTo: (name) => `en réponse à ${name}`,
    loading: "Chargement des commentaires…",
    saved: "Modification enregistrée.",
    tooLate: "Le délai de modification est passé.",
    reportedAlready: "Signalé",
    shares: (n) => plural("fr", n, "partage", "partages"),
    errors: {
      thread_closed: "Les commentaires sont fermés pour cet article.",
      banned: "Vous ne pouvez plus commenter sur ce site.",
      bad_token: "Ce commentaire ne peut plus être modifié.",
      not_found: "Ce commentaire n’est plus disponible.",
      gone: "Le commentaire auquel vous répondez n’est plus disponible.",
      forbidden_origin: "Les commentaires ne sont pas ouverts sur cette page.",
      unknown_site: "Les commentaires ne sont pas configurés pour ce site.",
      payload_too_large: "Votre commentaire est trop long.",
      validation_error: "Ce commentaire ne peut pas être publié tel quel.",
    },
    fieldErrors: { author: "Indiquez votre nom (64 caractères au plus).", body: "Écrivez votre commentaire (5 000 caractères au plus).", email: "Cette adresse e-mail n’est pas valide." },
  },
  en: {
    region: "Reactions and comments",
    reactionsTitle: "Your reaction",
    reactions: { like: "Like", love: "Love", haha: "Funny", wow: "Wow", sad: "Sad", angry: "Angry" },
    sharesTitle: "Share",
    networks: { facebook: "Facebook", x: "X", whatsapp: "WhatsApp", linkedin: "LinkedIn", telegram: "Telegram", email: "Email", copy: "Copy link" },
    nativeShare: "Share…",
    copied: "Link copied to the clipboard.",
    copiedShort: "Link copied ✓",
    copyFailed: "The link could not be copied: copy the page's address instead.",
    commentsTitle: (n) => plural("en", n, "comment", "comments"),
    formTitle: "Leave a comment",
    replyTitle: (name) => `Reply to ${name}`,
    name: "Name",
    email: "Email (optional)",
    emailHint: "Never shown or shared.",
    body: "Your comment",
    bodyHint: "**bold**, *italic*, `code`, > quote, lists and links.",
    count: (n, max) => `${fmt("en", n)} / ${plural("en", max, "character", "characters")}`,
    submit: "Post",
    sending: "Sending…",
    cancel: "Cancel",
    save: "Save",
    posted: "Your comment is published.",
    pending: "Thank you! Your comment will appear once a moderator approves it.",
    awaiting: "Awaiting moderation",
    fixFields: "Please check the marked fields.",
    wait: (s) => `You are quick! Please wait ${fmt("en", s)} s before trying again.`,
    failed: "The service is not answering. Please try again in a moment.",
    closed: "Comments are closed on this article.",
    empty: "No comments yet. Start the conversation!",
    sort: "Sort",
    sorts: { oldest: "Oldest", newest: "Newest", top: "Most liked" },
    more: "Show more comments",
    moreReplies: (n) => `Show ${plural("en", n, "more reply", "more replies")}`,
    reply: "Reply",
    like: "Like",
    likeCount: (n) => plural("en", n, "like", "likes"),
    edit: "Edit",
    remove: "Delete",
    confirmRemove: "Delete this comment for good?",
    removed: "Comment deleted.",
    deleted: "This comment was deleted.",
    edited: "edited",
    featured: "Editors’ pick",
    moderator: "Moderator",
    report: "Report",
    reportTitle: "Why are you reporting this comment?",
    reasons: { spam: "Spam or advertising", abuse: "Abusive or hateful", offtopic: "Off topic", illegal: "Illegal content", other: "Something else" },
    note: "Details (optional)",
    noteIllegal: "Explain why this content is illegal",
    send: "Send report",
    reported: "Thank you, the moderators will look at this comment.",
    inReplyTo: (name) => `in reply to ${name}`,
    loading: "Loading comments…",
    saved: "Changes saved.",
    tooLate: "The time to edit this comment is over.",
    reportedAlready: "Reported",
    shares: (n) => plural("en", n, "share", "shares"),
    errors: {
      thread_closed: "Comments are closed on this article.",
      banned: "You can no longer comment on this site.",
      bad_token: "This comment can no longer be changed.",
      not_found: "This comment is no longer available.",
      gone: "The comment you are replying to is no longer available.",
      forbidden_origin: "Comments are not open on this page.",
      unknown_site: "Comments are not set up for this site.",
      payload_too_large: "Your comment is too long.",
      validation_error: "This comment cannot be posted as it is.",
    },
    fieldErrors: { author: "Please give your name (64 characters at most).", body: "Please write your comment (5,000 characters at most).", email: "This email address is not valid." },
  },
};

function fmt(lang, n) {
  return new Intl.NumberFormat(lang).format(n); // French: U+202F between thousands
}

// "1 commentaire", "0 commentaire", "12 commentaires": the language's own plural rules
// (in French 0 and 1 take the singular, in English only 1).
function plural(lang, n, one, other) {
  return `${fmt(lang, n)} ${new Intl.PluralRules(lang).select(n) === "one" ? one : other}`;
}

export function pickLanguage(container) {
  const wanted = (container.dataset.engageLang || document.documentElement.lang || "en").toLowerCase();
  return wanted.startsWith("fr") ? "fr" : "en";
}

export function strings(lang) {
  return STRINGS[lang];
}

const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

// "il y a 3 minutes" / "3 minutes ago"; under a minute: "à l’instant" / "now".
export function relativeTime(lang, iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, "second");
}

export function absoluteTime(lang, iso) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

export { fmt, plural };
