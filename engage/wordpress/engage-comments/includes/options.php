<?php
/**
 * The plugin's settings: the engage server's URL, the site key and the single sign-on secret,
 * from wp-config.php constants when defined (scripted deployments), else from the settings
 * page; the pages option and the badge.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

const ENGAGE_COMMENTS_OPTION = 'engage_comments';

/**
 * The settings as stored, with their defaults; a null badge means the default one.
 *
 * @return array{url: string, site_key: string, pages: bool, sso_secret: string, badge: ?string, badge_roles: string[]}
 */
function engage_comments_stored() {
	$stored = get_option( ENGAGE_COMMENTS_OPTION, array() );
	$stored = is_array( $stored ) ? $stored : array();
	return array(
		'url'         => isset( $stored['url'] ) ? (string) $stored['url'] : engage_comments_default_url(),
		'site_key'    => isset( $stored['site_key'] ) ? (string) $stored['site_key'] : '',
		'pages'       => ! empty( $stored['pages'] ),
		'sso_secret'  => isset( $stored['sso_secret'] ) ? (string) $stored['sso_secret'] : '',
		'badge'       => isset( $stored['badge'] ) ? (string) $stored['badge'] : null,
		'badge_roles' => isset( $stored['badge_roles'] ) && is_array( $stored['badge_roles'] ) ? array_map( 'strval', $stored['badge_roles'] ) : array(),
	);
}

/**
 * The URL of the engage server this copy of the plugin was downloaded from.
 *
 * @return string
 */
function engage_comments_default_url() {
	$file = ENGAGE_COMMENTS_DIR . '/server.php';
	return is_readable( $file ) ? (string) include $file : '';
}

/**
 * The engage server's URL, without a trailing slash; ENGAGE_URL wins when defined.
 *
 * @return string
 */
function engage_comments_url() {
	$url = defined( 'ENGAGE_URL' ) ? (string) ENGAGE_URL : engage_comments_stored()['url'];
	return untrailingslashit( $url );
}

/**
 * The site key on the engage server; ENGAGE_SITE_KEY wins when defined.
 *
 * @return string
 */
function engage_comments_site_key() {
	return defined( 'ENGAGE_SITE_KEY' ) ? (string) ENGAGE_SITE_KEY : engage_comments_stored()['site_key'];
}

/**
 * The site's single sign-on secret on the engage server (engage site sso KEY --rotate prints
 * it); ENGAGE_SSO_SECRET wins when defined. Empty: no single sign-on.
 *
 * @return string
 */
function engage_comments_sso_secret() {
	return defined( 'ENGAGE_SSO_SECRET' ) ? trim( (string) ENGAGE_SSO_SECRET ) : engage_comments_stored()['sso_secret'];
}

/**
 * The badge engage shows beside the names of the users of the chosen roles; empty: none.
 *
 * @return string
 */
function engage_comments_badge() {
	$badge = engage_comments_stored()['badge'];
	// Translated when shown, not when stored: the default follows the site's language.
	return null === $badge ? __( 'Subscriber', 'engage-comments' ) : $badge;
}

/**
 * Whether the plugin has what it needs to replace the comments.
 *
 * @return bool
 */
function engage_comments_configured() {
	return '' !== engage_comments_url() && '' !== engage_comments_site_key();
}

/**
 * Whether engage shows this post's comments: single posts, and pages when the option says so.
 *
 * @param int|WP_Post|null $post The post.
 * @return bool
 */
function engage_comments_handles( $post = null ) {
	$post = get_post( $post );
	if ( ! $post || ! engage_comments_configured() || 'publish' !== $post->post_status ) {
		return false;
	}
	return 'post' === $post->post_type || ( 'page' === $post->post_type && engage_comments_stored()['pages'] );
}

/**
 * The post's article id on engage: its permalink's path, and with plain permalinks (?p=123)
 * its query, exactly as `engage import wordpress` keys the comments it brings over.
 *
 * @param int|WP_Post $post The post.
 * @return string
 */
function engage_comments_article( $post ) {
	$link  = get_permalink( $post );
	$path  = (string) wp_parse_url( $link, PHP_URL_PATH );
	$query = (string) wp_parse_url( $link, PHP_URL_QUERY );
	$path  = '' === $path ? '/' : $path;
	if ( '' !== $query ) {
		foreach ( explode( '&', $query ) as $pair ) {
			if ( in_array( strtok( $pair, '=' ), array( 'p', 'page_id', 'attachment_id' ), true ) ) {
				return $path . '?' . $query;
			}
		}
	}
	return $path;
}
