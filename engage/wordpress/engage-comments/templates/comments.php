<?php
/**
 * The comments template of classic themes, on the posts engage handles.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

echo engage_comments_container( get_post() ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped where built.
