<?php
/**
 * The theme's comment counts (listing pages, feeds, "3 comments" links) from engage's
 * GET /api/v1/counts: one request for all the posts of a listing, each count kept 5 minutes.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

add_filter( 'the_posts', 'engage_comments_prefetch_counts', 20 );
add_filter( 'get_comments_number', 'engage_comments_number', 20, 2 );

/**
 * The transient holding one article's count.
 *
 * @param string $article The article id.
 * @return string
 */
function engage_comments_count_key( $article ) {
	return 'engage_count_' . md5( engage_comments_url() . ' ' . engage_comments_site_key() . ' ' . $article );
}

/**
 * Fetch, in batches of 100 (the API's limit), the counts not cached yet.
 *
 * @param string[] $articles The article ids.
 */
function engage_comments_fetch_counts( $articles ) {
	if ( get_transient( 'engage_counts_down' ) ) {
		return; // engage failed less than a minute ago: no visitor waits for it again.
	}
	$missing = array_values( array_filter( array_unique( $articles ), static fn( $a ) => false === get_transient( engage_comments_count_key( $a ) ) ) );
	foreach ( array_chunk( $missing, 100 ) as $batch ) {
		$answer = engage_comments_get( '/api/v1/counts?' . engage_comments_query( $batch ) );
		if ( is_wp_error( $answer ) || 200 !== wp_remote_retrieve_response_code( $answer ) ) {
			// WordPress's own counts meanwhile; engage is asked again in a minute.
			set_transient( 'engage_counts_down', 1, MINUTE_IN_SECONDS );
			return;
		}
		$counts = json_decode( wp_remote_retrieve_body( $answer ), true );
		foreach ( $batch as $article ) {
			$count = isset( $counts['counts'][ $article ]['comments'] ) ? (int) $counts['counts'][ $article ]['comments'] : 0;
			set_transient( engage_comments_count_key( $article ), $count, 5 * MINUTE_IN_SECONDS );
		}
	}
}

/**
 * Before a listing is drawn, its posts' counts in one request.
 *
 * @param WP_Post[] $posts The posts of the query.
 * @return WP_Post[]
 */
function engage_comments_prefetch_counts( $posts ) {
	if ( is_admin() || ! is_array( $posts ) || ! engage_comments_configured() ) {
		return $posts;
	}
	$articles = array();
	foreach ( $posts as $post ) {
		if ( engage_comments_handles( $post ) ) {
			$articles[] = engage_comments_article( $post );
		}
	}
	if ( $articles ) {
		engage_comments_fetch_counts( $articles );
	}
	return $posts;
}

/**
 * The post's comment count on engage.
 *
 * @param int $count   WordPress's count.
 * @param int $post_id The post.
 * @return int
 */
function engage_comments_number( $count, $post_id ) {
	if ( is_admin() || ! engage_comments_handles( $post_id ) ) {
		return $count;
	}
	$article = engage_comments_article( $post_id );
	$cached  = get_transient( engage_comments_count_key( $article ) );
	if ( false === $cached ) {
		engage_comments_fetch_counts( array( $article ) );
		$cached = get_transient( engage_comments_count_key( $article ) );
	}
	return false === $cached ? $count : (int) $cached;
}
