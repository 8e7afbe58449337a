<?php
/**
 * Calls to the engage server, with a short timeout: an article page never waits for it.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

/**
 * GET a path of the engage server.
 *
 * @param string $path    The path and query, e.g. "/api/v1/counts?site=…".
 * @param array  $headers Extra request headers.
 * @return array|WP_Error The wp_remote_get() answer.
 */
function engage_comments_get( $path, $headers = array() ) {
	return wp_remote_get(
		engage_comments_url() . $path,
		array(
			'timeout'     => 2,
			'redirection' => 0,
			'headers'     => $headers,
			'user-agent'  => 'engage-comments/' . ENGAGE_COMMENTS_VERSION . '; ' . home_url( '/' ),
		)
	);
}

/**
 * A query string with the site key first (article=… repeated for several articles).
 *
 * @param array $articles The article ids.
 * @return string
 */
function engage_comments_query( $articles ) {
	$query = 'site=' . rawurlencode( engage_comments_site_key() );
	foreach ( $articles as $article ) {
		$query .= '&article=' . rawurlencode( $article );
	}
	return $query;
}
